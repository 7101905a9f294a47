#pragma once
// TtlStore in one process's memory: for a portal that runs on one node, and for tests.

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "protocol/ttl_store.hpp"

namespace sithsd::protocol {

class MemoryStore final : public TtlStore {
  public:
    using Clock = std::chrono::steady_clock;
    // A page that asks for nonces in a loop cannot grow the process beyond this.
    static constexpr std::size_t default_max_entries = 100000;

    explicit MemoryStore(std::size_t max_entries = default_max_entries,
                         std::function<Clock::time_point()> now = Clock::now);

    // Throw StoreUnavailable when the store is full of unexpired entries.
    bool add(std::string_view key, std::string_view value, std::chrono::seconds ttl) override;
    void put(std::string_view key, std::string_view value, std::chrono::seconds ttl) override;
    std::optional<std::string> get(std::string_view key) override;
    std::optional<std::string> take(std::string_view key) override;
    void remove(std::string_view key) override;

    std::size_t size();  // unexpired entries

  private:
    struct Entry {
        std::string value;
        Clock::time_point expires;
    };
    using Map = std::unordered_map<std::string, Entry>;

    // The live entry of `key`, or end() (an expired one is erased on the way).
    Map::iterator find_live(std::string_view key, Clock::time_point now);
    void make_room(Clock::time_point now);

    std::size_t max_entries_;
    std::function<Clock::time_point()> now_;
    std::mutex mutex_;
    Map entries_;
};

}  // namespace sithsd::protocol
