// What every session of every transport does the same way, on the session's own strand: its id and
// place in the SessionRegistry and its budgets, the single-writer queue with its byte limits, the
// idle timer, close-after-flush, and the calls into the MessageHandler. A transport derives from it
// and adds only its framing and handshake (ws_transport.cpp, unix_transport.cpp). Asio, no Beast.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/connection.hpp"
#include "daemon/listener.hpp"
#include "daemon/session_registry.hpp"

namespace sithsd::daemon {

// Why a session closes, as a WebSocket close code; the Unix transport has no codes and ignores it.
enum class CloseCode : std::uint16_t { normal = 1000, going_away = 1001, unsupported_data = 1003 };

class SessionCore : public Connection,
                    public Closable,
                    public std::enable_shared_from_this<SessionCore> {
  public:
    // `context` is shared with the listener (an aliasing pointer into the transport's own shared
    // state); `executor` is the strand of the session's socket; `name` prefixes the log lines.
    SessionCore(std::shared_ptr<const TransportContext> context,
                boost::asio::any_io_executor executor, std::string_view name);
    ~SessionCore() override;
    SessionCore(const SessionCore&) = delete;
    SessionCore& operator=(const SessionCore&) = delete;

    // Registers the session for shutdown, then runs on_start() on its strand.
    void start();

    // Connection
    const Peer& peer() const override { return peer_; }
    std::uint64_t id() const override { return id_; }
    void send(std::string text) override;
    void close() override;
    // Closable: a session still in its handshake is dropped; an open one flushes and closes 1001.
    void shutdown_close() override;
    // Closable: dropped if still in its HTTP phase (the handshake budget made room for a newer
    // one).
    void evict() override;

  protected:
    using error_code = boost::system::error_code;

    // --- what a transport implements ---
    virtual void on_start() = 0;
    // Writes one queued message (kept alive by the queue) and calls on_write when done.
    virtual void start_write(const std::string& message) = 0;
    // The queue is empty and a close was asked for: the transport's closing step.
    virtual void close_after_flush() = 0;
    // Drops the connection now; the transport's read loop ends and calls finish().
    virtual void abort() = 0;
    // Turns a message into what is queued (the Unix transport's line framing).
    virtual void frame(std::string& /*message*/) {}
    // Just before an open session is closed for shutdown (the WebSocket's short close timeout).
    virtual void before_shutdown_close() {}

    // --- what a transport calls, on the strand ---
    // Counts the connection in `pool` (leaving the one it was in); false when that budget is full
    // (refuse it then).
    bool reserve(Pool pool);
    // The handshake is done: tells the handler and starts the idle timer.
    void opened();
    // One complete message from the client.
    void received(std::string text);
    void do_send(std::string text);
    void on_write(error_code ec);
    // Stops reading new messages, sends what is queued, then close_after_flush().
    void begin_close(CloseCode code, std::string reason);
    // The read loop ended: log `why` (and the close reason), tell the handler. Once only.
    void finish(const std::string& why);
    void touch() { last_activity_ = std::chrono::steady_clock::now(); }

    [[nodiscard]] const TransportContext& context() const { return *context_; }
    [[nodiscard]] bool is_open() const { return open_; }
    [[nodiscard]] bool closing() const { return closing_; }
    [[nodiscard]] bool writing() const { return writing_; }
    [[nodiscard]] bool finished() const { return finished_; }
    [[nodiscard]] CloseCode close_code() const { return close_code_; }

    Peer peer_;

  private:
    void do_write();
    void arm_idle_timer();
    // Empties the queue and returns its bytes to the registry's total.
    void drop_queue();

    std::shared_ptr<const TransportContext> context_;
    boost::asio::any_io_executor executor_;
    const std::string_view name_;
    const std::uint64_t id_;
    boost::asio::steady_timer idle_;
    std::chrono::steady_clock::time_point last_activity_;
    std::deque<std::string> queue_;
    std::size_t queued_bytes_ = 0;
    std::optional<Pool> pool_;
    bool open_ = false;
    bool writing_ = false;
    bool closing_ = false;
    bool finished_ = false;
    CloseCode close_code_ = CloseCode::normal;
    std::string close_reason_;
};

}  // namespace sithsd::daemon
