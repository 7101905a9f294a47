#include "daemon/session_registry.hpp"

#include <gtest/gtest.h>

using namespace sithsd::daemon;

namespace {
struct Counting : Closable {
    int closed = 0;
    void shutdown_close() override { ++closed; }
};
}  // namespace

TEST(SessionRegistry, CountsAgainstTheLimit) {
    SessionRegistry registry(2);
    EXPECT_TRUE(registry.reserve());
    EXPECT_TRUE(registry.reserve());
    EXPECT_FALSE(registry.reserve());
    EXPECT_EQ(registry.open_connections(), 2u);
    registry.unreserve();
    EXPECT_TRUE(registry.reserve());
}

TEST(SessionRegistry, IdsAreUnique) {
    SessionRegistry registry(1);
    auto a = registry.next_id();
    auto b = registry.next_id();
    EXPECT_NE(a, b);
    EXPECT_NE(a, 0u);
}

TEST(SessionRegistry, StopReturnsLiveSessionsAndRefusesNewOnes) {
    SessionRegistry registry(8);
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
    EXPECT_FALSE(registry.reserve());
}
