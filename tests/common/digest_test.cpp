#include "common/digest.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

namespace sithsd {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// FIPS 180-2 examples for "abc".
constexpr const char* kAbc256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kAbc384 =
    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
    "8086072ba1e7cc2358baeca134c825a7";
constexpr const char* kAbc512 =
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

TEST(Digest, KnownAnswers) {
    EXPECT_EQ(hex_encode(hash(HashAlgorithm::sha256, bytes("abc"))), kAbc256);
    EXPECT_EQ(hex_encode(hash(HashAlgorithm::sha384, bytes("abc"))), kAbc384);
    EXPECT_EQ(hex_encode(hash(HashAlgorithm::sha512, bytes("abc"))), kAbc512);
    EXPECT_EQ(sha256_hex("abc"), kAbc256);
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, SizesMatchTheHashes) {
    for (auto alg : {HashAlgorithm::sha256, HashAlgorithm::sha384, HashAlgorithm::sha512}) {
        EXPECT_EQ(hash(alg, bytes("x")).size(), hash_size(alg));
        EXPECT_EQ(static_cast<std::size_t>(EVP_MD_get_size(ossl::md_for(alg))), hash_size(alg));
    }
}

TEST(Digest, Sha256HexPrefixIsAnId) {
    // The card layer's ids: the first 8 (card) or 16 (certificate) bytes of the hash.
    EXPECT_EQ(sha256_hex("abc", 8), std::string(kAbc256).substr(0, 16));
    EXPECT_EQ(sha256_hex("abc", 16), std::string(kAbc256).substr(0, 32));
    EXPECT_EQ(sha256_hex("abc", 0), "");
    EXPECT_EQ(sha256_hex("abc", 1000), kAbc256) << "a prefix longer than the hash is the hash";
    // Bytes, not text: a NUL in the middle counts.
    EXPECT_NE(sha256_hex(std::string("a\0b", 3)), sha256_hex("a"));
}

TEST(Digest, HexEncode) {
    const std::uint8_t data[] = {0x00, 0x0f, 0xa0, 0xff};
    EXPECT_EQ(hex_encode(data), "000fa0ff");
    EXPECT_EQ(hex_encode({}), "");
}

}  // namespace
}  // namespace sithsd
