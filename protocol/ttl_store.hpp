#pragma once
// A key-value store in which every entry expires: what a portal shares between its nodes for
// challenge nonces, sessions and cached OCSP answers. Two implementations: MemoryStore (one
// process) and RedisStore (every node of a portal, protocol/redis_store.hpp, its own library so
// that only portals link hiredis).

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sithsd::protocol {

// The store could not be asked (Redis down, timed out, full): the caller must refuse, never
// carry on as if the answer had been "no such key".
class StoreUnavailable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class TtlStore {
  public:
    virtual ~TtlStore() = default;

    // Stores `value` under `key` for `ttl` unless the key exists (Redis: SET key value NX EX ttl).
    // False when it exists.
    virtual bool add(std::string_view key, std::string_view value, std::chrono::seconds ttl) = 0;
    // Stores or replaces (SET key value EX ttl).
    virtual void put(std::string_view key, std::string_view value, std::chrono::seconds ttl) = 0;
    // The value, if the key exists and has not expired (GET).
    virtual std::optional<std::string> get(std::string_view key) = 0;
    // The value, removed in the same step, so that two callers can never both get it (GETDEL).
    virtual std::optional<std::string> take(std::string_view key) = 0;
    // Removes the key if it exists (DEL).
    virtual void remove(std::string_view key) = 0;
};

}  // namespace sithsd::protocol
