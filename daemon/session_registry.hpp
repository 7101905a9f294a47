// Every live session of both transports: ids, the max_connections count, and the list that
// shutdown closes. Thread-safe; shared (shared_ptr) by the listeners and their sessions.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace sithsd::daemon {

// What shutdown needs from a session: flush its queue and close (WebSocket code 1001).
class Closable {
  public:
    virtual ~Closable() = default;
    virtual void shutdown_close() = 0;
};

class SessionRegistry {
  public:
    explicit SessionRegistry(std::uint32_t max_connections) : max_(max_connections) {}

    std::uint64_t next_id() { return ++last_id_; }
    // Adds a session to those closed at shutdown; false once stopping (close it yourself then).
    bool track(std::uint64_t id, std::weak_ptr<Closable> session);
    void untrack(std::uint64_t id);
    // Counts one open connection against max_connections; false when full or stopping.
    bool reserve();
    void unreserve();
    [[nodiscard]] std::uint32_t open_connections() const;
    // Refuses further track/reserve and returns every session still alive.
    std::vector<std::shared_ptr<Closable>> stop();

  private:
    const std::uint32_t max_;
    std::atomic<std::uint64_t> last_id_{0};
    mutable std::mutex mutex_;
    bool stopping_ = false;
    std::uint32_t open_ = 0;
    std::unordered_map<std::uint64_t, std::weak_ptr<Closable>> sessions_;
};

}  // namespace sithsd::daemon
