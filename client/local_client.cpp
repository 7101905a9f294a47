#include "client/local_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>
#include <thread>

namespace sithsd::client {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(int error) {
    return std::strerror(error);
}

// Milliseconds left until the deadline for poll(), rounded up so that a wait never ends early.
int poll_timeout(Clock::time_point deadline) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    return left > 60'000 ? 60'000 : static_cast<int>(left);  // long waits poll again
}

}  // namespace

LocalClient LocalClient::connect(const std::filesystem::path& socket_path, Duration timeout,
                                 LocalClientOptions options) {
    const auto deadline = Clock::now() + timeout;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path = socket_path.string();
    if (path.empty() || path.size() >= sizeof address.sun_path)
        throw LocalClientError(LocalClientFailure::io, "socket path too long: " + path);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);

    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw LocalClientError(LocalClientFailure::io, "socket(): " + errno_text(errno));
    LocalClient client(fd, options);  // owns fd from here on
    while (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        const int error = errno;
        if (error == EINTR) continue;
        if (error == ENOENT || error == ECONNREFUSED || error == ENOTDIR)
            client.fail(LocalClientFailure::not_running, "nothing listens on " + path);
        if (error == EAGAIN) {  // the listen backlog is full: the daemon is busy, try again
            if (Clock::now() >= deadline)
                client.fail(LocalClientFailure::timed_out, "no connection to " + path + " in time");
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            continue;
        }
        if (error == EINPROGRESS) {
            client.wait_for(POLLOUT, deadline, "connection");
            int so_error = 0;
            socklen_t length = sizeof so_error;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length);
            if (so_error == 0) break;
            client.fail(LocalClientFailure::io, "connect " + path + ": " + errno_text(so_error));
        }
        client.fail(LocalClientFailure::io, "connect " + path + ": " + errno_text(error));
    }
    return client;
}

LocalClient::LocalClient(LocalClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      options_(other.options_),
      last_id_(other.last_id_),
      input_(std::move(other.input_)),
      handler_(std::move(other.handler_)),
      kept_(std::move(other.kept_)) {}

LocalClient& LocalClient::operator=(LocalClient&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        options_ = other.options_;
        last_id_ = other.last_id_;
        input_ = std::move(other.input_);
        handler_ = std::move(other.handler_);
        kept_ = std::move(other.kept_);
    }
    return *this;
}

LocalClient::~LocalClient() {
    close();
}

void LocalClient::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    input_.clear();
}

void LocalClient::fail(LocalClientFailure failure, const std::string& message) {
    close();
    throw LocalClientError(failure, message);
}

void LocalClient::wait_for(short events, TimePoint deadline, const char* what) {
    for (;;) {
        pollfd p{fd_, events, 0};
        int n = ::poll(&p, 1, poll_timeout(deadline));
        if (n > 0) return;  // ready, or an error/hang-up that the next call reports
        if (n < 0 && errno != EINTR) fail(LocalClientFailure::io, "poll: " + errno_text(errno));
        if (n == 0 && Clock::now() >= deadline)
            fail(LocalClientFailure::timed_out, std::string("sithsd: no ") + what + " in time");
    }
}

void LocalClient::send_line(const std::string& line, TimePoint deadline) {
    std::size_t sent = 0;
    while (sent < line.size()) {
        ssize_t n = ::send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            wait_for(POLLOUT, deadline, "room to send the request");
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            fail(LocalClientFailure::closed, "sithsd closed the connection");
        } else {
            fail(LocalClientFailure::io, "send: " + errno_text(errno));
        }
    }
}

std::optional<std::string> LocalClient::read_line(TimePoint deadline) {
    char buffer[65536];
    for (;;) {
        if (auto end = input_.find('\n'); end != std::string::npos) {
            if (end > options_.max_line) break;
            std::string line = input_.substr(0, end);
            input_.erase(0, end + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            return line;
        }
        if (input_.size() > options_.max_line) break;
        pollfd p{fd_, POLLIN, 0};
        int ready = ::poll(&p, 1, poll_timeout(deadline));
        if (ready < 0 && errno != EINTR) fail(LocalClientFailure::io, "poll: " + errno_text(errno));
        if (ready == 0 && Clock::now() >= deadline) return std::nullopt;
        if (ready <= 0) continue;
        ssize_t n = ::read(fd_, buffer, sizeof buffer);
        if (n == 0) fail(LocalClientFailure::closed, "sithsd closed the connection");
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
            if (errno == ECONNRESET)
                fail(LocalClientFailure::closed, "sithsd reset the connection");
            fail(LocalClientFailure::io, "read: " + errno_text(errno));
        }
        input_.append(buffer, static_cast<std::size_t>(n));
    }
    fail(LocalClientFailure::too_long,
         "sithsd sent a line longer than " + std::to_string(options_.max_line) + " bytes");
}

void LocalClient::deliver(LocalNotification notification) {
    if (handler_) {
        handler_(notification);
        return;
    }
    if (options_.max_kept_notifications == 0) return;
    if (kept_.size() >= options_.max_kept_notifications) kept_.pop_front();
    kept_.push_back(std::move(notification));
}

namespace {

// One line from the daemon, sorted: an answer (with its id, or null), or a notification.
struct Incoming {
    std::optional<std::int64_t> id;  // nullopt with is_answer: id null
    bool is_answer = false;
    LocalAnswer answer;
    LocalNotification notification;
};

std::optional<Incoming> parse_incoming(const std::string& line) {
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(line, ec);
    if (ec || !parsed.is_object()) return std::nullopt;
    auto& message = parsed.as_object();
    Incoming in;
    if (const auto* id = message.if_contains("id")) {
        in.is_answer = true;
        if (id->is_int64()) {
            in.id = id->as_int64();
        } else if (id->is_uint64()) {
            in.id = static_cast<std::int64_t>(id->as_uint64());
        } else if (!id->is_null()) {
            return std::nullopt;  // we only ever send integer ids
        }
        if (auto* result = message.if_contains("result")) {
            in.answer.result = std::move(*result);
            return in;
        }
        const auto* error = message.if_contains("error");
        if (!error || !error->is_object()) return std::nullopt;
        const auto& e = error->as_object();
        const auto* code = e.if_contains("code");
        const auto* text = e.if_contains("message");
        if (!code || !code->is_int64() || !text || !text->is_string()) return std::nullopt;
        RpcError rpc;
        rpc.code = code->as_int64();
        rpc.message = text->as_string().c_str();
        if (const auto* data = e.if_contains("data")) {
            rpc.data = *data;
            if (data->is_object())
                if (const auto* reason = data->as_object().if_contains("reason");
                    reason && reason->is_string())
                    rpc.reason = reason->as_string().c_str();
        }
        in.answer.error = std::move(rpc);
        return in;
    }
    const auto* method = message.if_contains("method");
    if (!method || !method->is_string()) return std::nullopt;
    in.notification.method = method->as_string().c_str();
    if (auto* params = message.if_contains("params")) in.notification.params = std::move(*params);
    return in;
}

}  // namespace

LocalAnswer LocalClient::call(std::string_view method, boost::json::object params,
                              Duration timeout) {
    const auto deadline = Clock::now() + timeout;
    const auto id = send_request(method, std::move(params), timeout);
    return await_answer(
        id, method,
        std::chrono::ceil<Duration>(std::max(deadline - Clock::now(), Clock::duration{})));
}

std::int64_t LocalClient::send_request(std::string_view method, boost::json::object params,
                                       Duration timeout) {
    if (fd_ < 0) throw LocalClientError(LocalClientFailure::closed, "the connection is closed");
    const auto id = static_cast<std::int64_t>(++last_id_);
    boost::json::object request{
        {"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
    send_line(boost::json::serialize(request) + "\n", Clock::now() + timeout);
    return id;
}

LocalAnswer LocalClient::await_answer(std::int64_t id, std::string_view method, Duration timeout) {
    if (fd_ < 0) throw LocalClientError(LocalClientFailure::closed, "the connection is closed");
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        auto line = read_line(deadline);
        // A request still waiting at the daemon (a PIN prompt) is cancelled when we go.
        if (!line)
            fail(LocalClientFailure::timed_out,
                 "sithsd: no answer to " + std::string(method) + " in time");
        if (line->empty()) continue;
        auto in = parse_incoming(*line);
        if (!in) fail(LocalClientFailure::malformed, "sithsd sent a message that is not JSON-RPC");
        if (!in->is_answer) {
            deliver(std::move(in->notification));
            continue;
        }
        if (!in->id || *in->id == id) return std::move(in->answer);
        // else: the answer to an earlier request whose call gave up; nobody waits for it.
    }
}

std::optional<LocalNotification> LocalClient::next_notification(Duration timeout) {
    if (!kept_.empty()) {
        LocalNotification first = std::move(kept_.front());
        kept_.pop_front();
        return first;
    }
    if (fd_ < 0) throw LocalClientError(LocalClientFailure::closed, "the connection is closed");
    const auto deadline = Clock::now() + timeout;
    while (auto line = read_nonempty_line(deadline)) {
        auto in = parse_incoming(*line);
        if (!in) fail(LocalClientFailure::malformed, "sithsd sent a message that is not JSON-RPC");
        if (!in->is_answer) return std::move(in->notification);
    }
    return std::nullopt;
}

std::optional<std::string> LocalClient::read_nonempty_line(TimePoint deadline) {
    for (;;) {
        auto line = read_line(deadline);
        if (!line || !line->empty()) return line;
    }
}

void LocalClient::send(const boost::json::value& message, Duration timeout) {
    if (fd_ < 0) throw LocalClientError(LocalClientFailure::closed, "the connection is closed");
    send_line(boost::json::serialize(message) + "\n", Clock::now() + timeout);
}

std::optional<boost::json::value> LocalClient::next_message(Duration timeout) {
    if (fd_ < 0) throw LocalClientError(LocalClientFailure::closed, "the connection is closed");
    auto line = read_nonempty_line(Clock::now() + timeout);
    if (!line) return std::nullopt;
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(*line, ec);
    if (ec || !parsed.is_object())
        fail(LocalClientFailure::malformed, "sithsd sent a message that is not JSON-RPC");
    return parsed;
}

}  // namespace sithsd::client
