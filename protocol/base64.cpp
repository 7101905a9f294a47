#include "protocol/base64.hpp"

#include <array>

namespace sithsd::protocol {
namespace {

constexpr std::string_view kStd =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::span<const std::uint8_t> in, std::string_view alphabet, bool pad) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        const std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    const std::size_t rest = in.size() - i;
    if (rest == 1) {
        const std::uint32_t v = in[i] << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        if (pad) out += "==";
    } else if (rest == 2) {
        const std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        if (pad) out += '=';
    }
    return out;
}

std::array<int, 256> table(std::string_view alphabet) {
    std::array<int, 256> t{};
    t.fill(-1);
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        t[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
    }
    return t;
}

// Decodes unpadded groups; `text` holds alphabet characters only (padding already removed).
std::optional<std::vector<std::uint8_t>> decode(std::string_view text,
                                                const std::array<int, 256>& t) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 4 * 3 + 2);
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : text) {
        const int v = t[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
        }
    }
    // Canonical encoding only: the bits left over must be zero.
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
    return encode(bytes, kStd, true);
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
    static const auto t = table(kStd);
    if (text.size() % 4 != 0) return std::nullopt;
    std::size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
    return decode(text.substr(0, text.size() - pad), t);
}

std::string base64url_encode(std::span<const std::uint8_t> bytes) {
    return encode(bytes, kUrl, false);
}

std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text) {
    static const auto t = table(kUrl);
    return decode(text, t);
}

std::size_t base64_decoded_size(std::string_view text) noexcept {
    if (text.empty() || text.size() % 4 != 0) return 0;
    std::size_t n = text.size() / 4 * 3;
    if (text.back() == '=') --n;
    if (text.size() >= 2 && text[text.size() - 2] == '=') --n;
    return n;
}

}  // namespace sithsd::protocol
