#include "daemon/rate_limiter.hpp"

#include <gtest/gtest.h>

using sithsd::daemon::RateLimiter;

TEST(RateLimiter, LimitPerOriginInASlidingWindow) {
    RateLimiter limiter(3, std::chrono::seconds(10));
    auto t0 = RateLimiter::Clock::now();
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("https://a.example.se", t0));
    EXPECT_FALSE(limiter.allow("https://a.example.se", t0 + std::chrono::seconds(9)));
    EXPECT_TRUE(
        limiter.allow("https://b.example.se", t0 + std::chrono::seconds(9)));  // its own budget
    // The window slides: ten seconds after the first three, room for three more.
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(limiter.allow("https://a.example.se", t0 + std::chrono::seconds(10)));
    EXPECT_FALSE(limiter.allow("https://a.example.se", t0 + std::chrono::seconds(10)));
}

TEST(RateLimiter, ZeroMeansNoLimit) {
    RateLimiter limiter(0, std::chrono::minutes(1));  // rate_limit_per_minute = 0
    auto t0 = RateLimiter::Clock::now();
    for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(limiter.allow("https://a.example.se", t0));
}
