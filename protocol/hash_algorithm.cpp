#include "protocol/hash_algorithm.hpp"

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

}  // namespace sithsd::protocol
