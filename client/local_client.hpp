// A client of sithsd's Unix socket (NDJSON: one JSON-RPC message per line), for sithsctl, the
// browser PKCS#11 module, the native-messaging host and libsithsd-client's public API. Plain POSIX
// sockets, poll() and Boost.JSON: no Asio, no Beast, no threads, so that it can live in a .so
// loaded by a browser.
//
// One request at a time: call() sends a request and reads until the answer with its id arrives;
// notifications that come meanwhile go to the notification handler (or are kept for
// next_notification()). Every wait has a deadline, every line a length limit. Not thread-safe:
// a caller that shares one client between threads holds a lock around it. After fork() the child
// makes its own client (the socket is CLOEXEC and belongs to the parent's conversation).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sithsd::client {

// Why a call could not get an answer. After any of these the client is closed.
enum class LocalClientFailure {
    not_running,  // nothing listens at the path (no socket file, or connection refused)
    timed_out,    // no answer (or no connection) before the deadline
    closed,       // the daemon closed the connection, or the client was closed already
    malformed,    // the daemon sent something that is not a JSON-RPC message
    too_long,     // a line longer than LocalClientOptions::max_line
    io,           // another socket error (errno text in the message)
};

class LocalClientError : public std::runtime_error {
  public:
    LocalClientError(LocalClientFailure failure, const std::string& message)
        : std::runtime_error(message), failure_(failure) {}
    [[nodiscard]] LocalClientFailure failure() const { return failure_; }

  private:
    LocalClientFailure failure_;
};

// A JSON-RPC error answer (PROTOCOL.md "Errors"): reason is data.reason when there is one.
struct RpcError {
    std::int64_t code = 0;
    std::string message;
    std::string reason;
    boost::json::value data;
};

// The daemon's answer to one request: a result, or an error.
struct LocalAnswer {
    boost::json::value result;
    std::optional<RpcError> error;
    [[nodiscard]] bool ok() const { return !error.has_value(); }
};

struct LocalNotification {
    std::string method;
    boost::json::value params;
};

struct LocalClientOptions {
    // The longest line accepted from the daemon (without "\n"). Answers carry certificates and
    // CMS signatures of up to 1 MiB of data in base64, so a few MiB.
    std::size_t max_line = std::size_t{8} * 1024 * 1024;
    // Notifications kept for next_notification() when no handler is set; the oldest is dropped.
    std::size_t max_kept_notifications = 256;
};

class LocalClient {
  public:
    using Duration = std::chrono::milliseconds;
    using NotificationHandler = std::function<void(const LocalNotification&)>;

    // Connects within `timeout`. Throws LocalClientError (not_running, timed_out, io).
    static LocalClient connect(const std::filesystem::path& socket_path, Duration timeout,
                               LocalClientOptions options = {});

    LocalClient(LocalClient&& other) noexcept;
    LocalClient& operator=(LocalClient&& other) noexcept;
    LocalClient(const LocalClient&) = delete;
    LocalClient& operator=(const LocalClient&) = delete;
    ~LocalClient();

    // Sends {"jsonrpc":"2.0","id":N,"method":…,"params":…} and waits up to `timeout` for the
    // answer with id N. An answer with id null (the daemon could not read the request) is taken as
    // this request's answer. Throws LocalClientError when no answer can come; a JSON-RPC error
    // answer is returned, not thrown.
    LocalAnswer call(std::string_view method, boost::json::object params, Duration timeout);

    // call() in two halves, for a caller that must know the id while it waits (to cancel it from
    // another thread): send_request() writes the request and returns its id; await_answer()
    // reads until the answer with that id, as call() does.
    std::int64_t send_request(std::string_view method, boost::json::object params,
                              Duration timeout);
    LocalAnswer await_answer(std::int64_t id, std::string_view method, Duration timeout);

    // Notifications (cardsChanged, certificateExpiring) that arrive while waiting go here. Without
    // a handler they are kept (bounded) for next_notification().
    void on_notification(NotificationHandler handler) { handler_ = std::move(handler); }

    // A kept notification, or the next one to arrive within `timeout`; nullopt when none came.
    // Answers to earlier requests that arrive meanwhile (after their call timed out) are dropped.
    std::optional<LocalNotification> next_notification(Duration timeout);

    // For a relay (the native-messaging host) that passes many requests at once: send() writes a
    // whole message with the relay's own ids, next_message() returns whatever comes next
    // (answers and notifications alike; nullopt when nothing came in time). Not mixed with call().
    void send(const boost::json::value& message, Duration timeout);
    std::optional<boost::json::value> next_message(Duration timeout);
    // For poll() beside other descriptors; a line may already wait in the buffer, which poll()
    // does not show (has_buffered_line()). Read only through the client.
    [[nodiscard]] int native_handle() const { return fd_; }
    [[nodiscard]] bool has_buffered_line() const { return input_.find('\n') != std::string::npos; }

    [[nodiscard]] bool is_open() const { return fd_ >= 0; }
    void close();

  private:
    LocalClient(int fd, LocalClientOptions options) : fd_(fd), options_(options) {}
    using TimePoint = std::chrono::steady_clock::time_point;

    void send_line(const std::string& line, TimePoint deadline);
    // The next complete line, or nullopt at the deadline (the client stays open then).
    std::optional<std::string> read_line(TimePoint deadline);
    std::optional<std::string> read_nonempty_line(TimePoint deadline);
    void wait_for(short events, TimePoint deadline, const char* what);
    // Closes, then throws.
    [[noreturn]] void fail(LocalClientFailure failure, const std::string& message);
    void deliver(LocalNotification notification);

    int fd_ = -1;
    LocalClientOptions options_;
    std::uint64_t last_id_ = 0;
    std::string input_;  // bytes read and not yet taken as lines
    NotificationHandler handler_;
    std::deque<LocalNotification> kept_;
};

}  // namespace sithsd::client
