// Web origins (RFC 6454): parsing, serialization and allow-list patterns.
//
// Accepted form: `scheme://host[:port]`, at most 255 characters. Rejected: the "null" origin,
// user info, any path (a lone trailing "/" too: browsers never send one, and a config entry with
// one is a typing mistake we name rather than guess at), query, fragment, non-ASCII hosts (use
// the punycode `xn--` form), empty labels, a trailing dot, numeric hosts that are not a canonical
// dotted quad, IPv6 zone ids, port 0, an empty port and ports with leading zeros. Scheme and host
// are lower-cased; the default port of http/ws (80) and https/wss (443) is dropped; IPv6 literal
// hosts are kept in brackets in their canonical (RFC 5952) form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sithsd::protocol {

struct Origin {
    std::string scheme;            // lower case, e.g. "https"
    std::string host;              // lower case; IPv6 literals with their brackets
    std::optional<uint16_t> port;  // nullopt: the scheme's default port (or the scheme has none)

    // The serialized origin: "https://beh.example.se", "http://127.0.0.1:8080", "http://[::1]:81".
    [[nodiscard]] std::string serialize() const;
    friend bool operator==(const Origin&, const Origin&) = default;
};

// Parses an origin; on failure returns nullopt and, when `why` is given, a short English reason.
[[nodiscard]] std::optional<Origin> parse_origin(std::string_view text, std::string* why = nullptr);

// An allow/deny list entry: an exact origin, or `https://*.example.se[:port]`, which matches every
// subdomain of example.se (at any depth) but not example.se itself. A wildcard needs the https
// scheme and at least two labels after "*." (so `https://*.se` is refused).
class OriginPattern {
  public:
    [[nodiscard]] static std::optional<OriginPattern> parse(std::string_view text,
                                                            std::string* why = nullptr);
    [[nodiscard]] bool matches(const Origin& origin) const;
    [[nodiscard]] bool is_wildcard() const { return wildcard_; }
    // The entry in canonical form ("https://*.example.se" or a serialized origin).
    [[nodiscard]] std::string serialize() const;

  private:
    Origin origin_;  // for a wildcard, host is the suffix without "*." ("example.se")
    bool wildcard_ = false;
};

// A list of patterns (the config's allowed_origins or denied_origins).
class OriginList {
  public:
    OriginList() = default;
    explicit OriginList(std::vector<OriginPattern> patterns) : patterns_(std::move(patterns)) {}
    [[nodiscard]] bool matches(const Origin& origin) const;
    [[nodiscard]] bool empty() const { return patterns_.empty(); }
    [[nodiscard]] const std::vector<OriginPattern>& patterns() const { return patterns_; }

  private:
    std::vector<OriginPattern> patterns_;
};

}  // namespace sithsd::protocol
