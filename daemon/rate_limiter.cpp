#include "daemon/rate_limiter.hpp"

namespace sithsd::daemon {

bool RateLimiter::allow(const std::string& origin, Clock::time_point now) {
    if (limit_ == 0) return true;  // rate_limit_per_minute = 0
    std::lock_guard lock(mutex_);
    auto& times = recent_[origin];
    while (!times.empty() && now - times.front() >= window_) times.pop_front();
    if (times.size() >= limit_) return false;
    times.push_back(now);
    // Forget origins that have gone quiet, so the map does not grow with every origin ever seen.
    if (recent_.size() > 1024)
        for (auto it = recent_.begin(); it != recent_.end();)
            it = (!it->second.empty() && now - it->second.back() >= window_) ? recent_.erase(it)
                                                                             : std::next(it);
    return true;
}

}  // namespace sithsd::daemon
