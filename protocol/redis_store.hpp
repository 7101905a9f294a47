#pragma once
// TtlStore in Redis (Debian's redis-server, client libhiredis): what the nodes of a portal share.
// Its own library target (sithsd_redis_store), so that only portals link hiredis, never sithsd.
// Every command has a deadline; a failure is StoreUnavailable, never "no such key".

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/ttl_store.hpp"

namespace sithsd::protocol {

struct RedisOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::string username;  // ACL user (Redis 6+); empty: the default user
    std::string password;  // empty: no AUTH
    int database = 0;
    std::chrono::milliseconds timeout{1000};  // to connect, and for each command
    std::size_t max_idle_connections = 16;    // kept open between requests
};

// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]; nullopt for anything else (no TLS, no sockets).
std::optional<RedisOptions> parse_redis_url(std::string_view url);

class RedisStore final : public TtlStore {
  public:
    // Connects lazily: a portal starts while Redis is away and answers 503 until it is back.
    explicit RedisStore(RedisOptions options);
    ~RedisStore() override;
    RedisStore(const RedisStore&) = delete;
    RedisStore& operator=(const RedisStore&) = delete;

    bool add(std::string_view key, std::string_view value, std::chrono::seconds ttl) override;
    void put(std::string_view key, std::string_view value, std::chrono::seconds ttl) override;
    std::optional<std::string> get(std::string_view key) override;
    std::optional<std::string> take(std::string_view key) override;
    void remove(std::string_view key) override;

    // PING; throws StoreUnavailable (at start-up: is the server there, does it know GETDEL?).
    void check();

    struct Pool;

  private:
    std::unique_ptr<Pool> pool_;
};

}  // namespace sithsd::protocol
