#pragma once
// RATE_LIMITED (PROTOCOL.md 1015): a page that fires authenticate or sign requests in a loop
// would pile prompts on the person. Each web origin gets at most `limit` such requests in any
// `window`; local programs (the Unix socket) are not limited. A limit of 0 turns it off.
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>

namespace sithsd::daemon {

class RateLimiter {
  public:
    using Clock = std::chrono::steady_clock;
    RateLimiter(std::size_t limit, Clock::duration window) : limit_(limit), window_(window) {}

    // Counts one request; false when the origin is over its limit (the request is not counted).
    bool allow(const std::string& origin, Clock::time_point now = Clock::now());

  private:
    std::size_t limit_;
    Clock::duration window_;
    std::mutex mutex_;
    std::map<std::string, std::deque<Clock::time_point>> recent_;
};

}  // namespace sithsd::daemon
