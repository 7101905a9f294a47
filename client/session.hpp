// The connection behind the public API (sithsd/client.h): a LocalClient made safe to share
// between threads, with the threading rules of docs/DESKTOP.md:
//  - calls run one at a time (a second caller waits for the first, within its own deadline);
//  - cancel() works from any thread at any time: it writes `cancel` for the call in progress on
//    a duplicate of the socket's descriptor, so it never waits for the reader and never writes
//    to a descriptor the reader has closed;
//  - notifications are queued as they arrive (during a call too) and reported by a pollable
//    descriptor (an epoll set of the socket and an eventfd that is readable while the queue is
//    not empty), so that a GUI's main loop takes them on its own thread.
// No thread of its own: the caller's thread reads. After fork() the child may destroy the session
// (that closes only its own copies of the descriptors) but must not use it.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include "client/local_client.hpp"

namespace sithsd::client {

class Session {
  public:
    using Duration = std::chrono::milliseconds;

    // Connects and says hello (the daemon then tells this client its notifications), all within
    // `timeout`. Throws LocalClientError (not_running, timed_out, io, malformed).
    static std::unique_ptr<Session> connect(const std::filesystem::path& socket_path,
                                            Duration timeout);
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session();

    // One request; the answer (result or error). Throws LocalClientError when none can come
    // (timed_out also when an earlier call holds the client past the deadline).
    LocalAnswer call(std::string_view method, boost::json::object params, Duration timeout);
    // Asks the daemon to end the call in progress (it answers USER_CANCELLED). False when no call
    // was in progress. Never blocks on the call; throws nothing.
    bool cancel() noexcept;

    [[nodiscard]] int poll_fd() const { return epoll_fd_; }
    // Reads what the daemon sent and queues its notifications, waiting up to `timeout` for one
    // (without holding the client while it waits). False at once when a call on another thread
    // is reading (it queues what comes). Throws LocalClientError when the connection ended.
    bool read_available(Duration timeout);
    // The oldest queued notification.
    std::optional<LocalNotification> pop_notification();
    [[nodiscard]] bool has_queued();
    [[nodiscard]] bool is_open() const { return open_.load(); }

  private:
    Session(LocalClient client, int writer_fd, int event_fd, int epoll_fd);
    void enqueue(const LocalNotification& notification);
    // Closes the conversation for good: the socket leaves the epoll set, the eventfd stays
    // readable so that a main loop comes back and learns it from read_available().
    void mark_closed() noexcept;
    // Writes `cancel` for the call in flight (write_mutex_ held).
    void send_cancel() noexcept;

    std::timed_mutex call_mutex_;   // held by the caller that reads (a call, read_available)
    LocalClient client_;            // used only with call_mutex_ held
    std::timed_mutex write_mutex_;  // every line written, by a call or by cancel()
    int writer_fd_;                 // dup of the socket: cancel() writes here, closed last
    int event_fd_;
    int epoll_fd_;
    // With write_mutex_ held: the id of the call waiting for its answer (0: none), whether a call
    // is about to send (a cancel() meanwhile is kept for it), and the ids of our own `cancel`
    // requests (-1, -2, …: never one of a call's).
    std::int64_t in_flight_ = 0;
    bool starting_ = false;
    bool cancel_kept_ = false;
    std::int64_t last_cancel_id_ = 0;
    std::atomic<bool> open_{true};
    std::mutex queue_mutex_;
    std::deque<LocalNotification> queue_;
};

}  // namespace sithsd::client
