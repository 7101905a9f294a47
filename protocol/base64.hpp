#pragma once
// Base64 (RFC 4648 section 4, with padding) and base64url (section 5, without padding).
// Decoding is strict: a character outside the alphabet, wrong padding or non-zero trailing bits
// are refused (std::nullopt).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sithsd::protocol {

std::string base64_encode(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

std::string base64url_encode(std::span<const std::uint8_t> bytes);
std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text);

// The decoded size of a valid padded base64 text, without decoding it (0 if not a multiple of 4).
std::size_t base64_decoded_size(std::string_view text) noexcept;

}  // namespace sithsd::protocol
