// Limits shared by both transports, and the few messages the transports write themselves.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sithsd::daemon {

enum class Pool : std::uint8_t {
    handshake,  // WebSocket, HTTP request not yet read and checked; full: the oldest is dropped
    untrusted,  // WebSocket of an origin neither allowed by the config nor by the person (yet)
    allowed,    // WebSocket of an allowed origin (max_connections)
    local,      // Unix socket (max_connections)
};
inline constexpr std::size_t kPools = 4;

struct PoolLimits {
    std::uint32_t handshake = 64;
    std::uint32_t untrusted = 32;
    std::uint32_t allowed = 256;
    std::uint32_t local = 256;
    // Bytes waiting in all send queues together (each queue has its own limit too).
    std::size_t send_bytes = std::size_t{32} * 1024 * 1024;
};

struct TransportLimits {
    std::size_t max_message =
        std::size_t{1024} * 1024;  // a WebSocket message or a Unix line (without "\n")
    // Bytes of responses and notifications waiting for a slow client; a message that would pass
    // it is not queued and the client is disconnected (a message into an empty queue always goes,
    // whatever its size: at most one response, itself bounded by the message limits).
    std::size_t send_queue_bytes = std::size_t{256} * 1024;
    std::chrono::seconds idle_timeout{600};      // no message in either direction
    std::chrono::seconds handshake_timeout{30};  // HTTP request + upgrade, and the close handshake
    PoolLimits pools;  // connections per kind, and the bytes of all send queues together
};

// A large message leaves a large read buffer; beyond this it is given back after the message, so
// that what an idle connection holds stays small.
inline constexpr std::size_t kept_read_buffer = std::size_t{64} * 1024;

// Written by a transport when a message cannot reach the dispatcher at all.
inline constexpr std::string_view binary_frame_error =
    R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Binary frames are not accepted; send JSON-RPC requests as text frames","data":{"reason":"INVALID_REQUEST"}}})";
inline constexpr std::string_view line_too_long_error =
    R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Message longer than 1 MiB","data":{"reason":"INVALID_REQUEST"}}})";

}  // namespace sithsd::daemon
