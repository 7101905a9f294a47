#include "protocol/display_text.hpp"

#include <cstdint>
#include <cstdio>

namespace sithsd::protocol {

namespace {

// One code point from valid UTF-8 (the JSON parser refuses invalid UTF-8); advances i.
std::uint32_t next_code_point(std::string_view s, std::size_t& i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b = byte(i);
    std::size_t length = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    if (i + length > s.size()) length = 1;
    std::uint32_t cp = length == 1   ? b
                       : length == 2 ? (b & 0x1F)
                       : length == 3 ? (b & 0x0F)
                                     : (b & 0x07);
    for (std::size_t k = 1; k < length; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
    i += length;
    return cp;
}

// Control characters (C0 but the line break, DEL, C1), and the bidirectional embeddings,
// overrides (U+202A–U+202E) and isolates (U+2066–U+2069) that make a screen show text in another
// order than it is signed.
bool hides_or_reorders(std::uint32_t cp) {
    if (cp == '\n') return false;
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::size_t prompt_bytes(std::string_view text) noexcept {
    std::size_t n = 0;
    for (const char c : text) n += (c == '%' || c == '\n' || c == '\r') ? 3 : 1;
    return n;
}

std::optional<std::string> display_text_problem(std::string_view text) {
    if (text.empty() || prompt_bytes(text) > kMaxDisplayTextPromptBytes)
        return "displayText must be 1 to " + std::to_string(kMaxDisplayTextPromptBytes) +
               " bytes in UTF-8 (a line break or % counts as 3), so that the PIN prompt shows "
               "all of it.";
    for (std::size_t i = 0; i < text.size();) {
        const std::uint32_t cp = next_code_point(text, i);
        if (hides_or_reorders(cp)) {
            char name[16];
            std::snprintf(name, sizeof name, "U+%04X", static_cast<unsigned>(cp));
            return "displayText must not contain control characters or bidirectional overrides "
                   "(found " +
                   std::string(name) + ").";
        }
    }
    return std::nullopt;
}

}  // namespace sithsd::protocol
