// Limits shared by both transports, and the few messages the transports write themselves.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sithsd::daemon {

struct TransportLimits {
    std::size_t max_message = std::size_t{1024} * 1024;  // a WebSocket message or a Unix line (without "\n")
    // Responses and notifications waiting for a slow client; one more and it is disconnected.
    std::size_t send_queue_depth = 1024;
    std::chrono::seconds idle_timeout{600};      // no message in either direction
    std::chrono::seconds handshake_timeout{30};  // HTTP request + upgrade, and the close handshake
    std::uint32_t max_connections = 256;         // both transports together
};

// Written by a transport when a message cannot reach the dispatcher at all.
inline constexpr std::string_view binary_frame_error =
    R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Binary frames are not accepted; send JSON-RPC requests as text frames","data":{"reason":"INVALID_REQUEST"}}})";
inline constexpr std::string_view line_too_long_error =
    R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Message longer than 1 MiB","data":{"reason":"INVALID_REQUEST"}}})";

}  // namespace sithsd::daemon
