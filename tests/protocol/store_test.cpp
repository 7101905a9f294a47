// The relying party's stores without a network: MemoryStore (expiry, single take, bounds), the
// session-bound NonceStore and the OcspCache (what is remembered, for how long) on top of it.
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "protocol/base64.hpp"
#include "protocol/memory_store.hpp"
#include "protocol/nonce_store.hpp"
#include "protocol/ocsp_cache.hpp"

namespace {

using namespace std::chrono_literals;
using sithsd::protocol::MemoryStore;
using sithsd::protocol::NonceRefusal;
using sithsd::protocol::NonceStore;
using sithsd::protocol::OcspCache;
using sithsd::protocol::OcspVerdict;
using sithsd::protocol::StoreUnavailable;

// A clock the test moves by hand, for the store and for the cache.
struct FakeTime {
    MemoryStore::Clock::time_point steady = MemoryStore::Clock::now();
    OcspCache::SystemClock::time_point wall = OcspCache::SystemClock::now();
    void advance(std::chrono::seconds s) {
        steady += s;
        wall += s;
    }
};

TEST(MemoryStore, AddPutGetTakeAndExpiry) {
    FakeTime t;
    MemoryStore store(100, [&] { return t.steady; });
    EXPECT_TRUE(store.add("k", "v1", 10s));
    EXPECT_FALSE(store.add("k", "v2", 10s)) << "NX: an existing key stays";
    EXPECT_EQ(store.get("k"), "v1");
    store.put("k", "v3", 10s);
    EXPECT_EQ(store.get("k"), "v3");
    EXPECT_EQ(store.take("k"), "v3");
    EXPECT_EQ(store.take("k"), std::nullopt) << "taken once";
    EXPECT_EQ(store.get("k"), std::nullopt);

    store.put("short", "x", 5s);
    t.advance(4s);
    EXPECT_EQ(store.get("short"), "x");
    t.advance(1s);
    EXPECT_EQ(store.get("short"), std::nullopt) << "gone at its TTL";
    EXPECT_TRUE(store.add("short", "again", 5s)) << "an expired key can be added again";
    store.remove("short");
    EXPECT_EQ(store.size(), 0u);
}

TEST(MemoryStore, BoundedButExpiredEntriesMakeRoom) {
    FakeTime t;
    MemoryStore store(3, [&] { return t.steady; });
    for (const auto* key : {"a", "b", "c"}) EXPECT_TRUE(store.add(key, "v", 10s));
    EXPECT_THROW(store.add("d", "v", 10s), StoreUnavailable);
    EXPECT_THROW(store.put("d", "v", 10s), StoreUnavailable);
    store.put("a", "replaced", 10s);  // replacing needs no room
    t.advance(10s);
    EXPECT_TRUE(store.add("d", "v", 10s));
    EXPECT_EQ(store.size(), 1u);
}

TEST(MemoryStore, OneTakeWinsAcrossThreads) {
    MemoryStore store;
    for (int round = 0; round < 50; ++round) {
        store.put("nonce", "session", 10s);
        std::atomic<int> winners{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 8; ++i)
            threads.emplace_back([&] { winners += store.take("nonce").has_value() ? 1 : 0; });
        for (auto& th : threads) th.join();
        EXPECT_EQ(winners.load(), 1);
    }
}

TEST(NonceStore, RandomBoundToTheSessionSingleUse) {
    FakeTime t;
    MemoryStore store(1000, [&] { return t.steady; });
    NonceStore nonces(store);
    EXPECT_EQ(nonces.lifetime(), 300s);
    std::set<std::string> seen;
    for (int i = 0; i < 50; ++i) {
        const auto n = nonces.issue("session-a");
        EXPECT_EQ(n.size(), 44u);
        const auto bytes = sithsd::protocol::base64_decode(n);
        ASSERT_TRUE(bytes);
        EXPECT_EQ(bytes->size(), 32u);
        seen.insert(n);
    }
    EXPECT_EQ(seen.size(), 50u);
    EXPECT_EQ(store.get("sithsd:nonce:" + *seen.begin()), "session-a");

    const auto n = nonces.issue("session-a");
    EXPECT_EQ(nonces.consume(n, "session-a"), std::nullopt);
    EXPECT_EQ(nonces.consume(n, "session-a"), NonceRefusal::Unknown) << "a second use";
    EXPECT_EQ(nonces.consume("never-issued", "session-a"), NonceRefusal::Unknown);
    EXPECT_EQ(nonces.consume("", "session-a"), NonceRefusal::Unknown);

    const auto theirs = nonces.issue("session-b");
    EXPECT_EQ(nonces.consume(theirs, "session-a"), NonceRefusal::OtherSession);
    EXPECT_EQ(nonces.consume(theirs, "session-b"), NonceRefusal::Unknown)
        << "a nonce refused for the wrong session is spent too";
    EXPECT_EQ(sithsd::protocol::nonce_refusal_name(NonceRefusal::OtherSession), "NONCE_MISMATCH");
    EXPECT_EQ(sithsd::protocol::nonce_refusal_name(NonceRefusal::Unknown), "NONCE_INVALID");
}

TEST(NonceStore, FiveMinutesOrTheConfiguredLifetime) {
    FakeTime t;
    MemoryStore store(1000, [&] { return t.steady; });
    NonceStore nonces(store);
    const auto fresh = nonces.issue("s");
    const auto old = nonces.issue("s");
    t.advance(299s);
    EXPECT_EQ(nonces.consume(fresh, "s"), std::nullopt);
    t.advance(1s);
    EXPECT_EQ(nonces.consume(old, "s"), NonceRefusal::Unknown) << "five minutes old";

    NonceStore quick(store, 2s);
    const auto n = quick.issue("s");
    t.advance(2s);
    EXPECT_EQ(quick.consume(n, "s"), NonceRefusal::Unknown);
}

TEST(OcspCache, RemembersGoodAndRevokedUntilNextUpdate) {
    FakeTime t;
    MemoryStore store(1000, [&] { return t.steady; });
    OcspCache cache(store, 300s, [&] { return t.wall; });
    cache.remember("good-cert", {true, {}}, t.wall + 60s);
    cache.remember("revoked-cert", {false, "revoked at 2026-01-01T00:00:00Z"}, t.wall + 60s);
    ASSERT_TRUE(cache.find("good-cert"));
    EXPECT_TRUE(cache.find("good-cert")->good);
    const auto revoked = cache.find("revoked-cert");
    ASSERT_TRUE(revoked);
    EXPECT_FALSE(revoked->good);
    EXPECT_EQ(revoked->detail, "revoked at 2026-01-01T00:00:00Z (remembered)");
    EXPECT_EQ(cache.hits(), 3u);
    EXPECT_EQ(cache.find("other-cert"), std::nullopt);

    t.advance(59s);
    EXPECT_TRUE(cache.find("good-cert"));
    t.advance(1s);
    EXPECT_EQ(cache.find("good-cert"), std::nullopt) << "nextUpdate reached";
    EXPECT_EQ(cache.find("revoked-cert"), std::nullopt);
}

TEST(OcspCache, AtMostTheConfiguredMaximumAndNeverWithoutNextUpdate) {
    FakeTime t;
    MemoryStore store(1000, [&] { return t.steady; });
    OcspCache cache(store, 30s, [&] { return t.wall; });
    cache.remember("a-day", {true, {}}, t.wall + 24h);
    t.advance(29s);
    EXPECT_TRUE(cache.find("a-day"));
    t.advance(1s);
    EXPECT_EQ(cache.find("a-day"), std::nullopt) << "the maximum, not nextUpdate";

    cache.remember("no-next-update", {true, {}}, std::nullopt);
    cache.remember("already-past", {true, {}}, t.wall - 1s);
    cache.remember("under-a-second", {true, {}}, t.wall + 500ms);
    EXPECT_EQ(store.size(), 0u);
}

TEST(OcspCache, AStoreThatFailsMeansAskTheResponder) {
    struct Broken final : sithsd::protocol::TtlStore {
        bool add(std::string_view, std::string_view, std::chrono::seconds) override { fail(); }
        void put(std::string_view, std::string_view, std::chrono::seconds) override { fail(); }
        std::optional<std::string> get(std::string_view) override { fail(); }
        std::optional<std::string> take(std::string_view) override { fail(); }
        void remove(std::string_view) override { fail(); }
        [[noreturn]] static void fail() { throw StoreUnavailable("down"); }
    } broken;
    OcspCache cache(broken);
    cache.remember("cert", {true, {}}, OcspCache::SystemClock::now() + 60s);
    EXPECT_EQ(cache.find("cert"), std::nullopt);
    EXPECT_EQ(cache.store_failures(), 2u);

    // A value this cache did not write is no verdict.
    MemoryStore store;
    OcspCache other(store);
    store.put("sithsd:ocsp:cert", "good?", 60s);
    EXPECT_EQ(other.find("cert"), std::nullopt);
}

}  // namespace
