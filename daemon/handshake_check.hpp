// The WebSocket handshake checks of PROTOCOL.md, as a pure function of the request's headers,
// run before the upgrade is accepted. (The connection limit, HTTP 503, is the listener's.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/origin_policy.hpp"

namespace sithsd::daemon {

struct HandshakeRequest {
    std::string_view target;     // request-target, e.g. "/v1"
    std::string_view host;       // the Host header ("" when absent)
    std::size_t host_count = 1;  // how many Host headers came
    std::optional<std::string_view> origin;
    std::size_t origin_count = 0;   // how many Origin headers came
    bool websocket_upgrade = true;  // a valid WebSocket upgrade request
};

struct HandshakeVerdict {
    unsigned status = 101;    // 101: go on and accept; otherwise the HTTP status to refuse with
    std::string reason;       // for the log line (English, no request body)
    protocol::Origin origin;  // when accepted
    OriginStatus origin_status = OriginStatus::unknown;
    [[nodiscard]] bool accepted() const { return status == 101; }
};

[[nodiscard]] HandshakeVerdict check_handshake(const HandshakeRequest& request,
                                               const OriginPolicy& policy, std::uint16_t port);

// Whether a Sec-WebSocket-Protocol header value ("a, sithsd.v1") offers `name`.
[[nodiscard]] bool offers_subprotocol(std::string_view header, std::string_view name);

// Makes a client-supplied header printable for one log line: at most 100 characters, control
// and non-ASCII bytes as \xNN.
[[nodiscard]] std::string printable(std::string_view text);

}  // namespace sithsd::daemon
