// The seam between the transports (WebSocket, Unix socket) and the dispatcher. No Beast, no Asio.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/vocabulary.hpp"
#include "daemon/origin_policy.hpp"
#include "protocol/origin.hpp"

namespace sithsd::daemon {

// Who is on the other end, and who vouches for the origin it acts for; fixed when it opens.
struct Peer {
    Transport transport = Transport::websocket;
    OriginAuthority authority = OriginAuthority::browser_handshake;
    // The origin a browser vouches for (the handshake's Origin; never from a message). Empty for
    // a local program, which names an origin per request where the protocol lets it.
    std::optional<protocol::Origin> origin;
    // The config's verdict on that origin when the peer opened (the person's consent is looked up
    // per request: it can be given or revoked meanwhile). A local program is always allowed.
    OriginStatus origin_status = OriginStatus::allowed;
    int pid = -1;         // unix: SO_PEERCRED
    unsigned uid = 0;     // unix: SO_PEERCRED (always the daemon's own uid; others are refused)
    std::string program;  // unix: the target of /proc/PID/exe, empty when unreadable

    // The serialized origin, "" when none.
    [[nodiscard]] std::string origin_text() const { return origin ? origin->serialize() : ""; }
    // Who asks, as prompts and the audit log name it: the vouched origin, or the local program
    // (with the origin it named for this request).
    [[nodiscard]] std::string requester(const std::string& named_origin = "") const {
        if (origin) return origin->serialize();
        std::string who = program.empty() ? "pid " + std::to_string(pid) : program;
        return named_origin.empty() ? who : named_origin + " (" + who + ")";
    }
};

// One per client. Every member is thread-safe and non-blocking.
class Connection {
  public:
    virtual ~Connection() = default;
    virtual const Peer& peer() const = 0;
    virtual std::uint64_t id() const = 0;
    // Queues one response or notification (a complete JSON text). Never blocks. After the
    // connection is gone it does nothing. A client that lets the queue fill up is disconnected.
    virtual void send(std::string text) = 0;
    // Sends what is queued, then closes (WebSocket close code 1000).
    virtual void close() = 0;
};

// Implemented by the dispatcher. Calls for one connection never overlap (each connection runs
// on its own strand); calls for different connections may run on different threads at once.
class MessageHandler {
  public:
    virtual ~MessageHandler() = default;
    virtual void on_open(std::shared_ptr<Connection> connection) = 0;
    // Whether a browser peer's origin is allowed now (by the config, or by the person's remembered
    // answer): the transport counts it in the allowed origins' budget, else in the small one of
    // origins without consent. Thread-safe; called before on_open.
    [[nodiscard]] virtual bool origin_allowed(const Peer& peer) const {
        return peer.origin_status == OriginStatus::allowed;
    }
    // One complete text message (a frame, or a line without its "\n"). Must not block: card work
    // and prompts go to other threads, and their answers come back through Connection::send.
    virtual void on_message(std::shared_ptr<Connection> connection, std::string text) = 0;
    // The client is gone (or was disconnected): cancel its pending work. Called exactly once per
    // on_open, and no on_message follows it.
    virtual void on_close(std::shared_ptr<Connection> connection) = 0;
    // The daemon is stopping: new connections are no longer accepted. Answer every pending
    // request now (SHUTTING_DOWN, 1016) through Connection::send; right after this returns the
    // transports flush each queue and close every connection (WebSocket code 1001).
    virtual void on_shutdown() = 0;
};

}  // namespace sithsd::daemon
