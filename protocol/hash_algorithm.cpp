#include "protocol/hash_algorithm.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace sithsd::protocol {

std::string_view hash_algorithm_name(HashAlgorithm alg) noexcept {
    switch (alg) {
        case HashAlgorithm::sha256:
            return "SHA-256";
        case HashAlgorithm::sha384:
            return "SHA-384";
        case HashAlgorithm::sha512:
            return "SHA-512";
    }
    return "SHA-256";
}

std::optional<HashAlgorithm> hash_algorithm_from_name(std::string_view name) noexcept {
    if (name == "SHA-256") return HashAlgorithm::sha256;
    if (name == "SHA-384") return HashAlgorithm::sha384;
    if (name == "SHA-512") return HashAlgorithm::sha512;
    return std::nullopt;
}

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
    const EVP_MD* md = alg == HashAlgorithm::sha256   ? EVP_sha256()
                       : alg == HashAlgorithm::sha384 ? EVP_sha384()
                                                      : EVP_sha512();
    std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) {
        throw std::runtime_error("EVP_Digest failed");
    }
    out.resize(len);
    return out;
}

}  // namespace sithsd::protocol
