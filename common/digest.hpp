#pragma once
// Hashes and their hex form, defined once for every layer: the protocol's SHA-256/384/512, the
// card layer's card and certificate ids, the audit log's chain.

#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/vocabulary.hpp"

namespace sithsd {

std::size_t hash_size(HashAlgorithm alg) noexcept;  // 32, 48, 64
std::vector<std::uint8_t> hash(HashAlgorithm alg, std::span<const std::uint8_t> data);

// Lower-case hex, two digits per byte.
std::string hex_encode(std::span<const std::uint8_t> bytes);
// The SHA-256 of bytes in lower-case hex; only its first prefix_bytes bytes (ids) when shorter.
std::string sha256_hex(std::string_view bytes, std::size_t prefix_bytes = 32);

namespace ossl {
// OpenSSL's digest for the algorithm.
const EVP_MD* md_for(HashAlgorithm alg) noexcept;
}  // namespace ossl

}  // namespace sithsd
