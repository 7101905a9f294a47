// Every live session of both transports: ids, the connection budgets, the bytes waiting in send
// queues, and the list that shutdown closes. Thread-safe; shared (shared_ptr) by the listeners and
// their sessions.
//
// Each kind of connection has its own budget (PROTOCOL.md "Connection budgets"), so that one kind
// cannot starve another: a page that opens thousands of connections fills only the budgets of the
// HTTP phase and of origins without consent, never the allowed portal's or the Unix socket's.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "daemon/transport_limits.hpp"

namespace sithsd::daemon {

// What the registry needs from a session: flush its queue and close (WebSocket code 1001) at
// shutdown; or, still in its HTTP phase, be dropped to make room for a newer one.
class Closable {
  public:
    virtual ~Closable() = default;
    virtual void shutdown_close() = 0;
    virtual void evict() = 0;
};

class SessionRegistry {
  public:
    explicit SessionRegistry(PoolLimits limits) : limits_(limits) {}

    std::uint64_t next_id() { return ++last_id_; }
    // Adds a session to those closed at shutdown; false once stopping (close it yourself then).
    bool track(std::uint64_t id, std::weak_ptr<Closable> session);
    void untrack(std::uint64_t id);
    // Counts session `id` in `pool`; false when that budget is full or the daemon is stopping. The
    // handshake pool always takes a newcomer: when full, its oldest member is evicted.
    bool reserve(Pool pool, std::uint64_t id);
    void unreserve(Pool pool, std::uint64_t id);
    [[nodiscard]] std::uint32_t count(Pool pool) const;
    [[nodiscard]] std::uint32_t limit(Pool pool) const;
    // Connections in every pool together (the HTTP phase included): 0 means no client at all.
    [[nodiscard]] std::uint32_t open_connections() const;
    // Bytes queued for sending: false when `bytes` more would pass the total.
    bool take_send_bytes(std::size_t bytes);
    void give_send_bytes(std::size_t bytes);
    [[nodiscard]] std::size_t send_bytes() const { return send_bytes_; }
    // Refuses further track/reserve and returns every session still alive.
    std::vector<std::shared_ptr<Closable>> stop();

  private:
    const PoolLimits limits_;
    std::atomic<std::uint64_t> last_id_{0};
    std::atomic<std::size_t> send_bytes_{0};
    mutable std::mutex mutex_;
    bool stopping_ = false;
    std::array<std::uint32_t, kPools> counts_{};
    // The HTTP phase by age (ids grow), for eviction.
    std::map<std::uint64_t, std::weak_ptr<Closable>> handshakes_;
    std::unordered_map<std::uint64_t, std::weak_ptr<Closable>> sessions_;
};

}  // namespace sithsd::daemon
