#pragma once
// The portal's challenge nonces: 32 random bytes (44 base64 characters), single use, valid five
// minutes, as PROTOCOL.md's `authenticate` wants a relying party to issue and check them.

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sithsd::portal {

class NonceStore {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::minutes lifetime{5};
    static constexpr std::size_t max_outstanding =
        10000;  // a page that asks in a loop cannot grow us

    explicit NonceStore(std::function<Clock::time_point()> now = Clock::now);

    std::string issue();
    // True once for a nonce this store issued less than `lifetime` ago; it is gone afterwards.
    bool consume(std::string_view nonce);
    std::size_t outstanding();

  private:
    void drop_expired(Clock::time_point now);

    std::function<Clock::time_point()> now_;
    std::mutex mutex_;
    std::unordered_map<std::string, Clock::time_point> issued_;
};

}  // namespace sithsd::portal
