#pragma once
// The load client's connections: plain sockets, one epoll loop, the two framings of PROTOCOL.md
// (WebSocket text frames with a small hand-written client framing, or NDJSON over the Unix socket).
// A benchmark tool, not a general WebSocket client: no extensions, no TLS, fixed handshake.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sithsd::bench {

struct Target {
    bool websocket = true;
    std::uint16_t port = 0;  // WebSocket: ws://127.0.0.1:PORT/v1
    std::string origin = "http://127.0.0.1:8080";
    std::string unix_path;  // Unix socket
};

class Loop;

class Connection {
  public:
    using MessageHandler = std::function<void(Connection&, std::string_view)>;
    using CloseHandler = std::function<void(Connection&)>;

    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // One JSON-RPC message (a frame, or a line).
    void send(std::string_view message);
    void close();
    bool open() const { return fd_ >= 0; }
    std::size_t index = 0;  // the owner's number for this connection

    MessageHandler on_message;
    CloseHandler on_close;

  private:
    friend class Loop;
    Connection(Loop& loop, int fd, bool websocket);
    void readable();
    void writable();
    void flush();
    void parse();

    Loop& loop_;
    int fd_;
    bool websocket_;
    std::string in_;
    std::string out_;
    std::string fragments_;  // a WebSocket message split over continuation frames
    bool want_write_ = false;
};

class Loop {
  public:
    Loop();
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    // Connects (and for WebSocket completes the upgrade) synchronously; throws on failure.
    Connection& connect(const Target& target);
    // Runs until stop() or until the deadline passes; returns false on the deadline.
    bool run_until(std::chrono::steady_clock::time_point deadline);
    void stop() { stopped_ = true; }
    // Called after each batch of events (to check a condition, start the next step).
    std::function<void()> on_tick;

  private:
    friend class Connection;
    void watch(Connection& c, bool write);
    void forget(Connection& c);

    int epoll_;
    bool stopped_ = false;
    std::vector<std::unique_ptr<Connection>> connections_;
};

// The id of a response written by sithsd (`{"jsonrpc":"2.0","id":N,...`), or -1 for a
// notification or another shape; `error` tells whether it is an error response.
long response_id(std::string_view message, bool* error);

std::int64_t now_ns();

}  // namespace sithsd::bench
