#pragma once
// The hash algorithms of PROTOCOL.md ("SHA-256", "SHA-384", "SHA-512").

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/digest.hpp"
#include "common/vocabulary.hpp"

namespace sithsd::protocol {

std::string_view hash_algorithm_name(HashAlgorithm alg) noexcept;  // "SHA-256"
std::optional<HashAlgorithm> hash_algorithm_from_name(std::string_view name) noexcept;
// hash_size and hash are common/digest.hpp's; protocol code and its callers name them protocol::….
using sithsd::hash;
using sithsd::hash_size;

}  // namespace sithsd::protocol
