// The seam between the transports (WebSocket, Unix socket) and the dispatcher. No Beast, no Asio.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/vocabulary.hpp"

namespace sithsd::daemon {

// Who is on the other end, fixed when the connection opens.
struct Peer {
    Transport transport = Transport::websocket;
    std::string
        origin;        // websocket: the serialized origin from the handshake (never from a message)
    int pid = -1;      // unix: SO_PEERCRED
    unsigned uid = 0;  // unix: SO_PEERCRED (always the daemon's own uid; others are refused)
    std::string program;  // unix: the target of /proc/PID/exe, empty when unreadable
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
