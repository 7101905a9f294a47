#include "protocol/redis_store.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <vector>

namespace sithsd::protocol {
namespace {

struct ContextDeleter {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// The connection broke (or timed out): the context is unusable, and so are its idle siblings.
struct ConnectionLost {
    std::string what;
};

timeval to_timeval(std::chrono::milliseconds ms) {
    return timeval{static_cast<time_t>(ms.count() / 1000),
                   static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

ReplyPtr command(redisContext* c, const std::vector<std::string_view>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    ReplyPtr reply(static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (!reply) throw ConnectionLost{c->errstr[0] ? c->errstr : "no reply"};
    if (reply->type == REDIS_REPLY_ERROR) {
        // The server answered: the connection is fine, the command is not (NOAUTH, no GETDEL...).
        throw StoreUnavailable("redis: " + std::string(reply->str, reply->len));
    }
    return reply;
}

bool parse_port(std::string_view text, std::uint16_t& port) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535)
        return false;
    port = static_cast<std::uint16_t>(value);
    return true;
}

}  // namespace

std::optional<RedisOptions> parse_redis_url(std::string_view url) {
    constexpr std::string_view scheme = "redis://";
    if (!url.starts_with(scheme)) return std::nullopt;
    url.remove_prefix(scheme.size());
    RedisOptions options;
    if (const auto at = url.rfind('@'); at != std::string_view::npos) {
        const auto credentials = url.substr(0, at);
        const auto colon = credentials.find(':');
        if (colon == std::string_view::npos) return std::nullopt;
        options.username = credentials.substr(0, colon);
        options.password = credentials.substr(colon + 1);
        url.remove_prefix(at + 1);
    }
    if (const auto slash = url.find('/'); slash != std::string_view::npos) {
        const auto db = url.substr(slash + 1);
        if (!db.empty()) {
            const auto [end, ec] =
                std::from_chars(db.data(), db.data() + db.size(), options.database);
            if (ec != std::errc() || end != db.data() + db.size() || options.database < 0)
                return std::nullopt;
        }
        url = url.substr(0, slash);
    }
    if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
        if (!parse_port(url.substr(colon + 1), options.port)) return std::nullopt;
        url = url.substr(0, colon);
    }
    if (url.empty()) return std::nullopt;
    options.host = url;
    return options;
}

// Idle connections, one borrowed per command: a redisContext is not for two threads at once.
struct RedisStore::Pool {
    RedisOptions options;
    std::mutex mutex;
    std::vector<ContextPtr> idle;

    ContextPtr connect() {
        ContextPtr c(redisConnectWithTimeout(options.host.c_str(), options.port,
                                             to_timeval(options.timeout)));
        if (!c) throw StoreUnavailable("redis: cannot allocate a connection");
        if (c->err) {
            throw StoreUnavailable("redis " + options.host + ":" + std::to_string(options.port) +
                                   ": " + c->errstr);
        }
        if (redisSetTimeout(c.get(), to_timeval(options.timeout)) != REDIS_OK)
            throw StoreUnavailable("redis: cannot set the command timeout");
        try {
            if (!options.password.empty()) {
                if (options.username.empty())
                    command(c.get(), {"AUTH", options.password});
                else
                    command(c.get(), {"AUTH", options.username, options.password});
            }
            if (options.database != 0)
                command(c.get(), {"SELECT", std::to_string(options.database)});
        } catch (const ConnectionLost& lost) {
            throw StoreUnavailable("redis: " + lost.what);
        }
        return c;
    }

    ContextPtr borrow(bool& pooled) {
        {
            std::lock_guard lock(mutex);
            if (!idle.empty()) {
                ContextPtr c = std::move(idle.back());
                idle.pop_back();
                pooled = true;
                return c;
            }
        }
        pooled = false;
        return connect();
    }

    void give_back(ContextPtr c) {
        std::lock_guard lock(mutex);
        if (idle.size() < options.max_idle_connections) idle.push_back(std::move(c));
    }

    // One command. A pooled connection that turns out dead (the server restarted) is retried
    // once on a new one, after dropping the other idle ones. Retrying is safe for every command
    // here: a SET NX or GETDEL whose answer was lost can only make the retry refuse.
    ReplyPtr run(const std::vector<std::string_view>& args) {
        for (int attempt = 0;; ++attempt) {
            bool pooled = false;
            ContextPtr c = borrow(pooled);
            try {
                ReplyPtr reply = command(c.get(), args);
                give_back(std::move(c));
                return reply;
            } catch (const ConnectionLost& lost) {
                if (!pooled || attempt > 0) throw StoreUnavailable("redis: " + lost.what);
                std::lock_guard lock(mutex);
                idle.clear();
            } catch (const StoreUnavailable&) {
                give_back(std::move(c));
                throw;
            }
        }
    }
};

RedisStore::RedisStore(RedisOptions options) : pool_(std::make_unique<Pool>()) {
    pool_->options = std::move(options);
}

RedisStore::~RedisStore() = default;

namespace {

std::string ttl_argument(std::chrono::seconds ttl) {
    return std::to_string(std::max<long long>(1, ttl.count()));
}

std::optional<std::string> string_or_nil(const redisReply& reply) {
    if (reply.type == REDIS_REPLY_NIL) return std::nullopt;
    if (reply.type != REDIS_REPLY_STRING) throw StoreUnavailable("redis: unexpected reply type");
    return std::string(reply.str, reply.len);
}

}  // namespace

bool RedisStore::add(std::string_view key, std::string_view value, std::chrono::seconds ttl) {
    const auto reply = pool_->run({"SET", key, value, "NX", "EX", ttl_argument(ttl)});
    if (reply->type == REDIS_REPLY_NIL) return false;
    if (reply->type == REDIS_REPLY_STATUS) return true;
    throw StoreUnavailable("redis: unexpected reply to SET NX");
}

void RedisStore::put(std::string_view key, std::string_view value, std::chrono::seconds ttl) {
    pool_->run({"SET", key, value, "EX", ttl_argument(ttl)});
}

std::optional<std::string> RedisStore::get(std::string_view key) {
    return string_or_nil(*pool_->run({"GET", key}));
}

std::optional<std::string> RedisStore::take(std::string_view key) {
    return string_or_nil(*pool_->run({"GETDEL", key}));
}

void RedisStore::remove(std::string_view key) {
    pool_->run({"DEL", key});
}

void RedisStore::check() {
    pool_->run({"PING"});
    // GETDEL came with Redis 6.2; an older server would refuse every login, so say so at once.
    take("sithsd:check");
}

}  // namespace sithsd::protocol
