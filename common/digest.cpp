#include "common/digest.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

namespace sithsd {

std::size_t hash_size(HashAlgorithm alg) noexcept {
    switch (alg) {
        case HashAlgorithm::sha256:
            return 32;
        case HashAlgorithm::sha384:
            return 48;
        case HashAlgorithm::sha512:
            return 64;
    }
    return 32;
}

std::vector<std::uint8_t> hash(HashAlgorithm alg, std::span<const std::uint8_t> data) {
    std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &length, ossl::md_for(alg), nullptr) != 1)
        throw std::runtime_error("EVP_Digest failed");
    out.resize(length);
    return out;
}

std::string hex_encode(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * bytes.size());
    for (const std::uint8_t b : bytes) {
        out += kDigits[b >> 4];
        out += kDigits[b & 15];
    }
    return out;
}

std::string sha256_hex(std::string_view bytes, std::size_t prefix_bytes) {
    const auto digest = hash(HashAlgorithm::sha256,
                             {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
    return hex_encode(std::span(digest).first(std::min(prefix_bytes, digest.size())));
}

namespace ossl {

const EVP_MD* md_for(HashAlgorithm alg) noexcept {
    switch (alg) {
        case HashAlgorithm::sha256:
            return EVP_sha256();
        case HashAlgorithm::sha384:
            return EVP_sha384();
        case HashAlgorithm::sha512:
            return EVP_sha512();
    }
    return EVP_sha256();
}

}  // namespace ossl
}  // namespace sithsd
