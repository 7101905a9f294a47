#pragma once
// The hash algorithms of PROTOCOL.md ("SHA-256", "SHA-384", "SHA-512").

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/vocabulary.hpp"

namespace sithsd::protocol {

std::string_view hash_algorithm_name(HashAlgorithm alg) noexcept;  // "SHA-256"
std::optional<HashAlgorithm> hash_algorithm_from_name(std::string_view name) noexcept;
std::size_t hash_size(HashAlgorithm alg) noexcept;  // 32, 48, 64

std::vector<std::uint8_t> hash(HashAlgorithm alg, std::span<const std::uint8_t> data);

}  // namespace sithsd::protocol
