#include "daemon/handshake_check.hpp"

#include <algorithm>
#include <cstdio>

namespace sithsd::daemon {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
    return out;
}

// Only the loopback names at our port: a page on evil.example that re-resolves its name to
// 127.0.0.1 (DNS rebinding) still sends "Host: evil.example:PORT".
bool loopback_host(std::string_view host, std::uint16_t port) {
    const std::string h = lower(host);
    const std::string p = ":" + std::to_string(port);
    for (const char* name : {"127.0.0.1", "[::1]", "localhost"}) {
        if (h == name + p) return true;
        if (port == 80 && h == name) return true;  // browsers omit the default port
    }
    return false;
}

HandshakeVerdict refuse(unsigned status, std::string reason) {
    HandshakeVerdict verdict;
    verdict.status = status;
    verdict.reason = std::move(reason);
    return verdict;
}

}  // namespace

HandshakeVerdict check_handshake(const HandshakeRequest& request, const OriginPolicy& policy,
                                 std::uint16_t port) {
    if (request.host_count != 1 || !loopback_host(request.host, port))
        return refuse(403, "Host '" + printable(request.host) + "' is not a loopback name");
    if (!request.origin || request.origin_count == 0) return refuse(403, "no Origin header");
    if (request.origin_count > 1) return refuse(403, "several Origin headers");
    std::string why;
    auto origin = protocol::parse_origin(*request.origin, &why);
    if (!origin) return refuse(403, "Origin '" + printable(*request.origin) + "' invalid: " + why);
    if (auto refused = policy.refusal(*origin)) return refuse(403, *refused);
    if (request.target != "/v1") return refuse(404, "path '" + printable(request.target) + "'");
    if (!request.websocket_upgrade) return refuse(400, "not a WebSocket upgrade request");
    HandshakeVerdict verdict;
    verdict.origin = *origin;
    verdict.origin_status = policy.status(*origin);
    return verdict;
}

bool offers_subprotocol(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        std::size_t comma = header.find(',');
        std::string_view item = header.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (item == name) return true;  // subprotocol names are case-sensitive (RFC 6455 4.1)
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return false;
}

std::string printable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 100)) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f || c == '\\') {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", u);
            out += hex;
        } else {
            out.push_back(c);
        }
    }
    if (text.size() > 100) out += "...";
    return out;
}

}  // namespace sithsd::daemon
