#include "common/ecdsa_signature.hpp"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "common/digest.hpp"
#include "common/openssl_owners.hpp"

namespace sithsd {
namespace {

ossl::PkeyPtr ec_key(const char* curve) {
    return ossl::PkeyPtr(EVP_EC_gen(curve));
}

// The DER signature OpenSSL makes over a SHA-256 digest.
std::vector<std::uint8_t> sign_der(EVP_PKEY* key, const std::vector<std::uint8_t>& digest) {
    ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
    EXPECT_EQ(EVP_PKEY_sign_init(ctx.get()), 1);
    std::size_t length = 0;
    EXPECT_EQ(EVP_PKEY_sign(ctx.get(), nullptr, &length, digest.data(), digest.size()), 1);
    std::vector<std::uint8_t> der(length);
    EXPECT_EQ(EVP_PKEY_sign(ctx.get(), der.data(), &length, digest.data(), digest.size()), 1);
    der.resize(length);
    return der;
}

bool verifies(EVP_PKEY* key, const std::vector<std::uint8_t>& digest,
              const std::vector<std::uint8_t>& der) {
    ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key, nullptr));
    return EVP_PKEY_verify_init(ctx.get()) == 1 &&
           EVP_PKEY_verify(ctx.get(), der.data(), der.size(), digest.data(), digest.size()) == 1;
}

TEST(EcdsaSignature, RoundTripVerifiesWithOpenSsl) {
    const std::uint8_t message[] = {'a', 't', 't', 'e', 's', 't'};
    for (auto [curve, half] :
         {std::pair{"P-256", 32u}, std::pair{"P-384", 48u}, std::pair{"P-521", 66u}}) {
        SCOPED_TRACE(curve);
        auto key = ec_key(curve);
        ASSERT_TRUE(key);
        const auto digest = hash(HashAlgorithm::sha256, message);
        // Many signatures: some have an r or s with leading zero bytes or a high first bit.
        for (int i = 0; i < 32; ++i) {
            const auto der = sign_der(key.get(), digest);
            const auto raw = ecdsa_der_to_raw(der, half);
            ASSERT_EQ(raw.size(), 2 * half);
            const auto back = ecdsa_raw_to_der(raw);
            EXPECT_EQ(back, der) << "DER is canonical: the round trip gives the same bytes";
            EXPECT_TRUE(verifies(key.get(), digest, back));
        }
        // A changed s no longer verifies.
        auto raw = ecdsa_der_to_raw(sign_der(key.get(), digest), half);
        raw.back() ^= 1;
        EXPECT_FALSE(verifies(key.get(), digest, ecdsa_raw_to_der(raw)));
    }
}

TEST(EcdsaSignature, LeadingZeroAndHighBit) {
    std::vector<std::uint8_t> raw(64, 0x01);
    raw[0] = 0x80;   // r needs a leading zero in DER
    raw[32] = 0x00;  // s is shorter than its half
    const auto der = ecdsa_raw_to_der(raw);
    ASSERT_FALSE(der.empty());
    EXPECT_EQ(der[0], 0x30);
    EXPECT_EQ(der[2], 0x02);
    EXPECT_EQ(der[3], 33);
    EXPECT_EQ(ecdsa_der_to_raw(der, 32), raw);
}

TEST(EcdsaSignature, MalformedInputGivesEmpty) {
    EXPECT_TRUE(ecdsa_raw_to_der({}).empty());
    EXPECT_TRUE(ecdsa_raw_to_der(std::vector<std::uint8_t>(63, 1)).empty()) << "odd length";
    EXPECT_TRUE(ecdsa_der_to_raw({}, 32).empty());
    const std::vector<std::uint8_t> junk = {0x30, 0x03, 0x02, 0x01};
    EXPECT_TRUE(ecdsa_der_to_raw(junk, 32).empty());
    std::vector<std::uint8_t> raw(64, 0x7f);
    auto der = ecdsa_raw_to_der(raw);
    EXPECT_TRUE(ecdsa_der_to_raw(der, 16).empty()) << "r and s do not fit in 16 bytes";
    EXPECT_TRUE(ecdsa_der_to_raw(der, 0).empty());
    der.push_back(0);
    EXPECT_TRUE(ecdsa_der_to_raw(der, 32).empty()) << "bytes after the signature";
}

}  // namespace
}  // namespace sithsd
