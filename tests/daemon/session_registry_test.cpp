#include "daemon/session_registry.hpp"

#include <gtest/gtest.h>

using namespace sithsd::daemon;

namespace {
struct Counting : Closable {
    int closed = 0;
    int evicted = 0;
    void shutdown_close() override { ++closed; }
    void evict() override { ++evicted; }
};

PoolLimits limits(std::uint32_t each) {
    PoolLimits limits;
    limits.handshake = limits.untrusted = limits.allowed = limits.local = each;
    limits.send_bytes = 100;
    return limits;
}
}  // namespace

TEST(SessionRegistry, EachPoolCountsAgainstItsOwnLimit) {
    SessionRegistry registry(limits(2));
    EXPECT_TRUE(registry.reserve(Pool::untrusted, 1));
    EXPECT_TRUE(registry.reserve(Pool::untrusted, 2));
    EXPECT_FALSE(registry.reserve(Pool::untrusted, 3));
    EXPECT_EQ(registry.count(Pool::untrusted), 2u);
    // A full pool leaves the others alone.
    EXPECT_TRUE(registry.reserve(Pool::allowed, 4));
    EXPECT_TRUE(registry.reserve(Pool::local, 5));
    registry.unreserve(Pool::untrusted, 1);
    EXPECT_TRUE(registry.reserve(Pool::untrusted, 6));
    EXPECT_EQ(registry.open_connections(), 4u);
}

TEST(SessionRegistry, AFullHandshakePoolEvictsItsOldest) {
    SessionRegistry registry(limits(2));
    auto first = std::make_shared<Counting>();
    auto second = std::make_shared<Counting>();
    auto third = std::make_shared<Counting>();
    registry.track(1, first);
    registry.track(2, second);
    registry.track(3, third);
    EXPECT_TRUE(registry.reserve(Pool::handshake, 1));
    EXPECT_TRUE(registry.reserve(Pool::handshake, 2));
    EXPECT_TRUE(registry.reserve(Pool::handshake, 3));
    EXPECT_EQ(first->evicted, 1);
    EXPECT_EQ(second->evicted, 0);
    EXPECT_EQ(registry.count(Pool::handshake), 2u);
    registry.unreserve(Pool::handshake, 1);  // the evicted one leaving counts nothing twice
    EXPECT_EQ(registry.count(Pool::handshake), 2u);
    registry.unreserve(Pool::handshake, 2);
    EXPECT_EQ(registry.count(Pool::handshake), 1u);
}

TEST(SessionRegistry, SendBytesAreBoundedInTotal) {
    SessionRegistry registry(limits(2));
    EXPECT_TRUE(registry.take_send_bytes(60));
    EXPECT_FALSE(registry.take_send_bytes(41));
    EXPECT_TRUE(registry.take_send_bytes(40));
    registry.give_send_bytes(60);
    EXPECT_EQ(registry.send_bytes(), 40u);
}

TEST(SessionRegistry, IdsAreUnique) {
    SessionRegistry registry(limits(1));
    auto a = registry.next_id();
    auto b = registry.next_id();
    EXPECT_NE(a, b);
    EXPECT_NE(a, 0u);
}

TEST(SessionRegistry, StopReturnsLiveSessionsAndRefusesNewOnes) {
    SessionRegistry registry(limits(8));
    auto live = std::make_shared<Counting>();
    auto gone = std::make_shared<Counting>();
    auto removed = std::make_shared<Counting>();
    EXPECT_TRUE(registry.track(1, live));
    EXPECT_TRUE(registry.track(2, gone));
    EXPECT_TRUE(registry.track(3, removed));
    registry.untrack(3);
    gone.reset();
    auto sessions = registry.stop();
    ASSERT_EQ(sessions.size(), 1u);
    EXPECT_EQ(sessions[0].get(), live.get());
    EXPECT_FALSE(registry.track(4, live));
    EXPECT_FALSE(registry.reserve(Pool::local, 5));
}
