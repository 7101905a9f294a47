#include "client/session.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>

namespace sithsd::client {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// cancel() waits at most this long for a request being written (a large `sign` into a full socket
// buffer); the daemon reads continuously, so this is only a bound.
constexpr auto kCancelWriteWait = 2s;

[[noreturn]] void throw_errno(const char* what) {
    throw LocalClientError(LocalClientFailure::io, std::string(what) + ": " + std::strerror(errno));
}

// Closes a descriptor when the connect below fails half-way.
struct FdGuard {
    int fd;
    ~FdGuard() {
        if (fd >= 0) ::close(fd);
    }
    int release() { return std::exchange(fd, -1); }
};

}  // namespace

std::unique_ptr<Session> Session::connect(const std::filesystem::path& socket_path,
                                          Duration timeout) {
    const auto deadline = Clock::now() + timeout;
    auto client = LocalClient::connect(socket_path, timeout);
    // The daemon tells its notifications only to a client it knows, and a Unix-socket client is
    // known once its first message is answered (PROTOCOL.md "Notifications"): say hello, which
    // also shows that sithsd is what answers.
    client.on_notification([](const LocalNotification&) {});  // none can come before the answer
    auto hello = client.call(
        "hello", {},
        std::chrono::ceil<Duration>(std::max(deadline - Clock::now(), Clock::duration{})));
    if (!hello.ok() || !hello.result.is_object() || !hello.result.as_object().contains("protocol"))
        throw LocalClientError(LocalClientFailure::malformed,
                               "what listens on " + socket_path.string() + " is not sithsd");
    FdGuard writer{::fcntl(client.native_handle(), F_DUPFD_CLOEXEC, 0)};
    if (writer.fd < 0) throw_errno("dup");
    FdGuard event{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
    if (event.fd < 0) throw_errno("eventfd");
    FdGuard epoll{::epoll_create1(EPOLL_CLOEXEC)};
    if (epoll.fd < 0) throw_errno("epoll_create1");
    for (int fd : {writer.fd, event.fd}) {
        epoll_event interest{};
        interest.events = EPOLLIN;
        interest.data.fd = fd;
        if (::epoll_ctl(epoll.fd, EPOLL_CTL_ADD, fd, &interest) != 0) throw_errno("epoll_ctl");
    }
    return std::unique_ptr<Session>(
        new Session(std::move(client), writer.release(), event.release(), epoll.release()));
}

Session::Session(LocalClient client, int writer_fd, int event_fd, int epoll_fd)
    : client_(std::move(client)), writer_fd_(writer_fd), event_fd_(event_fd), epoll_fd_(epoll_fd) {
    client_.on_notification([this](const LocalNotification& n) { enqueue(n); });
}

Session::~Session() {
    client_.close();
    ::close(epoll_fd_);
    ::close(event_fd_);
    ::close(writer_fd_);
}

LocalAnswer Session::call(std::string_view method, boost::json::object params, Duration timeout) {
    const auto deadline = Clock::now() + timeout;
    std::unique_lock reading(call_mutex_, std::defer_lock);
    if (!reading.try_lock_until(deadline))
        throw LocalClientError(LocalClientFailure::timed_out,
                               "sithsd: another call on this client took the whole timeout");
    if (!open_.load())
        throw LocalClientError(LocalClientFailure::closed, "the connection is closed");
    auto left = [&] {
        return std::chrono::ceil<Duration>(std::max(deadline - Clock::now(), Clock::duration{}));
    };
    std::int64_t id = 0;
    try {
        {
            std::unique_lock writing(write_mutex_);
            starting_ = true;
            id = client_.send_request(method, std::move(params), left());
            in_flight_ = id;
            starting_ = false;
            if (std::exchange(cancel_kept_, false)) send_cancel();
        }
        auto answer = client_.await_answer(id, method, left());
        std::unique_lock writing(write_mutex_);
        in_flight_ = 0;
        return answer;
    } catch (const LocalClientError&) {
        {
            std::unique_lock writing(write_mutex_);
            in_flight_ = 0;
            starting_ = false;
            cancel_kept_ = false;
        }
        mark_closed();  // LocalClient closes itself on every failure
        throw;
    }
}

bool Session::cancel() noexcept {
    std::unique_lock writing(write_mutex_, std::defer_lock);
    if (!writing.try_lock_for(kCancelWriteWait)) return false;
    if (in_flight_ != 0) {
        send_cancel();
        return true;
    }
    if (starting_) {
        cancel_kept_ = true;  // sent by the call as soon as its request is out
        return true;
    }
    return false;
}

void Session::send_cancel() noexcept {
    try {
        boost::json::object request{{"jsonrpc", "2.0"},
                                    {"id", --last_cancel_id_},
                                    {"method", "cancel"},
                                    {"params", {{"id", in_flight_}}}};
        const std::string line = boost::json::serialize(request) + "\n";
        std::size_t sent = 0;
        const auto deadline = Clock::now() + kCancelWriteWait;
        while (sent < line.size() && Clock::now() < deadline) {
            ssize_t n = ::send(writer_fd_, line.data() + sent, line.size() - sent,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0)
                sent += static_cast<std::size_t>(n);
            else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return;
        }
    } catch (...) {
        // Out of memory for one short line: the call then ends by its own deadline.
    }
}

bool Session::read_available(Duration timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        {
            // Read only what is there, holding the client as briefly as a call would wait.
            std::unique_lock reading(call_mutex_, std::try_to_lock);
            if (!reading.owns_lock()) return false;
            if (!open_.load())
                throw LocalClientError(LocalClientFailure::closed, "the connection is closed");
            try {
                while (auto notification = client_.next_notification(Duration{0}))
                    enqueue(*notification);
            } catch (const LocalClientError&) {
                mark_closed();
                throw;
            }
        }
        const auto left = std::chrono::ceil<Duration>(deadline - Clock::now());
        if (has_queued() || left.count() <= 0) return true;
        // Wait without the lock, so that a call may start meanwhile.
        pollfd p{epoll_fd_, POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    }
}

void Session::enqueue(const LocalNotification& notification) {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(notification);
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

std::optional<LocalNotification> Session::pop_notification() {
    std::lock_guard lock(queue_mutex_);
    if (queue_.empty()) return std::nullopt;
    auto first = std::move(queue_.front());
    queue_.pop_front();
    if (queue_.empty() && open_.load()) {
        std::uint64_t count = 0;
        [[maybe_unused]] auto n = ::read(event_fd_, &count, sizeof count);
    }
    return first;
}

bool Session::has_queued() {
    std::lock_guard lock(queue_mutex_);
    return !queue_.empty();
}

void Session::mark_closed() noexcept {
    if (!open_.exchange(false)) return;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, writer_fd_, nullptr);
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
}

}  // namespace sithsd::client
