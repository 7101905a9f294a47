#include "protocol/origin.hpp"

#include <arpa/inet.h>  // inet_pton/inet_ntop: address text only, no sockets

#include <algorithm>
#include <cctype>

namespace sithsd::protocol {
namespace {

constexpr std::size_t max_origin_length = 255;

bool fail(std::string* why, const char* reason) {
    if (why) *why = reason;
    return false;
}

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

std::optional<uint16_t> default_port(std::string_view scheme) {
    if (scheme == "http" || scheme == "ws") return 80;
    if (scheme == "https" || scheme == "wss") return 443;
    return std::nullopt;
}

// RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), lower-cased.
bool parse_scheme(std::string_view text, std::string& out, std::string* why) {
    if (text.empty()) return fail(why, "missing scheme");
    if (!is_alpha(text[0])) return fail(why, "scheme must start with a letter");
    for (char c : text) {
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
            return fail(why, "invalid character in scheme");
        out.push_back(lower(c));
    }
    return true;
}

// A canonical dotted quad: four decimal parts 0..255 without leading zeros.
bool is_canonical_ipv4(std::string_view host) {
    int parts = 0;
    std::size_t pos = 0;
    while (true) {
        std::size_t end = host.find('.', pos);
        std::string_view part = host.substr(pos, end == std::string_view::npos ? end : end - pos);
        if (part.empty() || part.size() > 3) return false;
        if (!std::all_of(part.begin(), part.end(), is_digit)) return false;
        if (part.size() > 1 && part[0] == '0') return false;
        if (std::stoi(std::string(part)) > 255) return false;
        ++parts;
        if (end == std::string_view::npos) break;
        pos = end + 1;
    }
    return parts == 4;
}

bool parse_ipv6(std::string_view inner, std::string& out, std::string* why) {
    if (inner.find('%') != std::string_view::npos)
        return fail(why, "IPv6 zone ids are not allowed");
    if (inner.empty() || inner.size() > 45) return fail(why, "invalid IPv6 address");
    std::string text(inner);
    unsigned char bytes[16];
    if (inet_pton(AF_INET6, text.c_str(), bytes) != 1) return fail(why, "invalid IPv6 address");
    char canonical[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, bytes, canonical, sizeof canonical))
        return fail(why, "invalid IPv6 address");
    out = "[";
    out += canonical;  // inet_ntop writes RFC 5952 form: lower case, longest zero run compressed
    out += "]";
    return true;
}

// A DNS name (LDH labels; "_" tolerated as browsers do) or a canonical dotted quad.
bool parse_name(std::string_view text, std::string& out, std::string* why) {
    if (text.empty()) return fail(why, "missing host");
    if (text.back() == '.') return fail(why, "host must not end with a dot");
    out.clear();
    std::size_t label = 0;
    for (char c : text) {
        if (static_cast<unsigned char>(c) >= 0x80)
            return fail(why, "non-ASCII host (use the xn-- punycode form)");
        if (c == '.') {
            if (label == 0) return fail(why, "empty label in host");
            label = 0;
        } else if (is_alpha(c) || is_digit(c) || c == '-' || c == '_') {
            if (++label > 63) return fail(why, "host label longer than 63 characters");
        } else {
            return fail(why, "invalid character in host");
        }
        out.push_back(lower(c));
    }
    // A host whose last label is numeric is an IPv4 address in a URL; only the canonical form.
    std::string_view last = std::string_view(out).substr(out.rfind('.') + 1);
    if (std::all_of(last.begin(), last.end(), is_digit) && !is_canonical_ipv4(out))
        return fail(why, "numeric host is not a canonical IPv4 address");
    return true;
}

bool parse_port(std::string_view text, std::optional<uint16_t>& out, std::string* why) {
    if (text.empty()) return fail(why, "empty port");
    if (text.size() > 5 || !std::all_of(text.begin(), text.end(), is_digit))
        return fail(why, "invalid port");
    if (text[0] == '0') return fail(why, "port must be 1..65535 without leading zeros");
    int value = std::stoi(std::string(text));
    if (value > 65535) return fail(why, "port out of range");
    out = static_cast<uint16_t>(value);
    return true;
}

// Splits "scheme://authority" and checks everything but the host itself.
bool split(std::string_view text, std::string& scheme, std::string_view& host,
           std::optional<uint16_t>& port, std::string* why) {
    if (text.empty()) return fail(why, "empty origin");
    if (text.size() > max_origin_length) return fail(why, "origin longer than 255 characters");
    if (text == "null") return fail(why, "the null origin is not accepted");
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) return fail(why, "whitespace or control character in origin");
    }
    std::size_t sep = text.find("://");
    if (sep == std::string_view::npos) return fail(why, "expected scheme://host[:port]");
    if (!parse_scheme(text.substr(0, sep), scheme, why)) return false;
    std::string_view authority = text.substr(sep + 3);
    if (authority.find('@') != std::string_view::npos) return fail(why, "user info is not allowed");
    if (authority.find('?') != std::string_view::npos) return fail(why, "query is not allowed");
    if (authority.find('#') != std::string_view::npos) return fail(why, "fragment is not allowed");
    if (authority.find('/') != std::string_view::npos)
        return fail(why, "path is not allowed (not even a trailing /)");
    if (authority.find('\\') != std::string_view::npos) return fail(why, "backslash in origin");

    std::string_view port_text;
    bool has_port = false;
    if (!authority.empty() && authority[0] == '[') {
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return fail(why, "unterminated IPv6 literal");
        host = authority.substr(0, close + 1);
        std::string_view rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':') return fail(why, "unexpected text after IPv6 literal");
            port_text = rest.substr(1);
            has_port = true;
        }
    } else {
        std::size_t colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            has_port = true;
        }
    }
    if (host.empty()) return fail(why, "missing host");
    port.reset();
    if (has_port && !parse_port(port_text, port, why)) return false;
    if (port && port == default_port(scheme)) port.reset();
    return true;
}

bool parse_host(std::string_view host, std::string& out, std::string* why) {
    if (host[0] == '[') return parse_ipv6(host.substr(1, host.size() - 2), out, why);
    return parse_name(host, out, why);
}

}  // namespace

std::string Origin::serialize() const {
    std::string out = scheme + "://" + host;
    if (port) out += ":" + std::to_string(*port);
    return out;
}

std::optional<Origin> parse_origin(std::string_view text, std::string* why) {
    Origin origin;
    std::string_view host;
    if (!split(text, origin.scheme, host, origin.port, why)) return std::nullopt;
    if (!parse_host(host, origin.host, why)) return std::nullopt;
    return origin;
}

std::optional<OriginPattern> OriginPattern::parse(std::string_view text, std::string* why) {
    OriginPattern pattern;
    std::string_view host;
    if (!split(text, pattern.origin_.scheme, host, pattern.origin_.port, why)) return std::nullopt;
    if (host.starts_with("*.")) {
        if (pattern.origin_.scheme != "https") {
            fail(why, "a wildcard origin must use https");
            return std::nullopt;
        }
        if (!parse_name(host.substr(2), pattern.origin_.host, why)) return std::nullopt;
        if (pattern.origin_.host.find('.') == std::string::npos) {
            fail(why, "a wildcard needs at least two labels after *. (as in *.example.se)");
            return std::nullopt;
        }
        if (std::all_of(pattern.origin_.host.begin(), pattern.origin_.host.end(),
                        [](char c) { return is_digit(c) || c == '.'; })) {
            fail(why, "a wildcard cannot cover an IP address");
            return std::nullopt;
        }
        pattern.wildcard_ = true;
        return pattern;
    }
    if (host.find('*') != std::string_view::npos) {
        fail(why, "a wildcard is only allowed as a leading *. label");
        return std::nullopt;
    }
    if (!parse_host(host, pattern.origin_.host, why)) return std::nullopt;
    return pattern;
}

bool OriginPattern::matches(const Origin& origin) const {
    if (!wildcard_) return origin == origin_;
    if (origin.scheme != origin_.scheme || origin.port != origin_.port) return false;
    const std::string& host = origin.host;
    const std::string& suffix = origin_.host;
    // "a.example.se" matches "*.example.se"; "example.se" and "badexample.se" do not.
    return host.size() > suffix.size() + 1 && host.ends_with(suffix) &&
           host[host.size() - suffix.size() - 1] == '.';
}

std::string OriginPattern::serialize() const {
    if (!wildcard_) return origin_.serialize();
    std::string out = origin_.scheme + "://*." + origin_.host;
    if (origin_.port) out += ":" + std::to_string(*origin_.port);
    return out;
}

bool OriginList::matches(const Origin& origin) const {
    return std::any_of(patterns_.begin(), patterns_.end(),
                       [&](const OriginPattern& p) { return p.matches(origin); });
}

}  // namespace sithsd::protocol
