// RedisStore against a real redis-server started by the test: the TtlStore contract, nonces
// shared by two "nodes" (two stores, one server), single use under concurrency, expiry in Redis,
// a clear StoreUnavailable while the server is down, and recovery when it is back.
#include "protocol/redis_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "protocol/nonce_store.hpp"
#include "protocol/ocsp_cache.hpp"
#include "support.hpp"

namespace sithsd::protocol {
namespace {

using namespace std::chrono_literals;

RedisOptions options_for(const test::RedisServer& server) {
    RedisOptions o;
    o.port = static_cast<std::uint16_t>(server.port());
    o.timeout = 500ms;
    return o;
}

// Polls until `done` or the deadline; the result of the last poll.
template <class F>
bool eventually(F done, std::chrono::milliseconds deadline = 5000ms) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

TEST(RedisUrl, Parsed) {
    auto o = parse_redis_url("redis://127.0.0.1:6380");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->host, "127.0.0.1");
    EXPECT_EQ(o->port, 6380);
    EXPECT_EQ(o->database, 0);
    o = parse_redis_url("redis://portal:s3cret@redis.example.se/2");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->host, "redis.example.se");
    EXPECT_EQ(o->port, 6379);
    EXPECT_EQ(o->username, "portal");
    EXPECT_EQ(o->password, "s3cret");
    EXPECT_EQ(o->database, 2);
    o = parse_redis_url("redis://:only-password@localhost");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->username, "");
    EXPECT_EQ(o->password, "only-password");
    for (const char* bad :
         {"", "http://127.0.0.1", "redis://", "redis://host:0", "redis://host:x",
          "redis://host:70000", "redis://host/x", "redis://user@host", "rediss://host"}) {
        EXPECT_FALSE(parse_redis_url(bad)) << bad;
    }
}

TEST(RedisStore, TheTtlStoreContract) {
    test::RedisServer server;
    RedisStore store(options_for(server));
    store.check();
    EXPECT_TRUE(store.add("k", std::string("v1\0binary", 9), 10s));
    EXPECT_FALSE(store.add("k", "v2", 10s));
    EXPECT_EQ(store.get("k"), std::string("v1\0binary", 9));
    store.put("k", "v3", 10s);
    EXPECT_EQ(store.take("k"), "v3");
    EXPECT_EQ(store.take("k"), std::nullopt);
    EXPECT_EQ(store.get("never"), std::nullopt);
    store.put("gone", "x", 10s);
    store.remove("gone");
    EXPECT_EQ(store.get("gone"), std::nullopt);
    // Expiry is Redis's own (EX): one second.
    EXPECT_TRUE(store.add("short", "x", 1s));
    EXPECT_TRUE(eventually([&] { return !store.get("short"); }));

    // Another database of the same server is another key space.
    auto other = options_for(server);
    other.database = 3;
    RedisStore db3(other);
    db3.put("k", "in db 3", 10s);
    EXPECT_EQ(store.get("k"), std::nullopt);
    EXPECT_EQ(db3.get("k"), "in db 3");
}

TEST(RedisStore, NoncesSharedByTwoNodesOnceUnderConcurrency) {
    test::RedisServer server;
    RedisStore node1_store(options_for(server)), node2_store(options_for(server));
    NonceStore node1(node1_store), node2(node2_store);
    const auto n = node1.issue("session");
    EXPECT_EQ(node2.consume(n, "other-session"), NonceRefusal::OtherSession);
    const auto m = node1.issue("session");
    EXPECT_EQ(node2.consume(m, "session"), std::nullopt) << "issued by one node, used at another";
    EXPECT_EQ(node1.consume(m, "session"), NonceRefusal::Unknown) << "and only once";

    for (int round = 0; round < 20; ++round) {
        const auto nonce = node1.issue("s");
        std::atomic<int> accepted{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 8; ++i) {
            threads.emplace_back([&, i] {
                auto& node = i % 2 ? node1 : node2;
                if (!node.consume(nonce, "s")) ++accepted;
            });
        }
        for (auto& t : threads) t.join();
        EXPECT_EQ(accepted.load(), 1) << "round " << round;
    }

    NonceStore short_lived(node1_store, 1s);
    const auto expiring = short_lived.issue("s");
    EXPECT_TRUE(eventually([&] { return !node2_store.get("sithsd:nonce:" + expiring); }));
    EXPECT_EQ(node2.consume(expiring, "s"), NonceRefusal::Unknown);
}

TEST(RedisStore, DownIsStoreUnavailableThenItRecovers) {
    test::RedisServer server;
    RedisStore store(options_for(server));
    NonceStore nonces(store);
    const auto before = nonces.issue("s");  // leaves a pooled connection behind
    server.stop();
    const auto started = std::chrono::steady_clock::now();
    EXPECT_THROW(nonces.consume(before, "s"), StoreUnavailable);
    EXPECT_THROW(nonces.issue("s"), StoreUnavailable);
    EXPECT_THROW(store.get("k"), StoreUnavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "a clear answer, not a hang";
    // An OCSP cache on a dead store only means: ask the responder.
    OcspCache cache(store);
    EXPECT_EQ(cache.find("cert"), std::nullopt);
    EXPECT_EQ(cache.store_failures(), 1u);

    server.start();  // same port, empty (no persistence)
    EXPECT_EQ(nonces.consume(before, "s"), NonceRefusal::Unknown) << "gone with the old server";
    const auto after = nonces.issue("s");
    EXPECT_EQ(nonces.consume(after, "s"), std::nullopt);
}

}  // namespace
}  // namespace sithsd::protocol
