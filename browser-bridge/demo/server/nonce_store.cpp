#include "browser-bridge/demo/server/nonce_store.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <stdexcept>

#include "protocol/base64.hpp"

namespace sithsd::portal {

NonceStore::NonceStore(std::function<Clock::time_point()> now) : now_(std::move(now)) {}

std::string NonceStore::issue() {
    std::array<std::uint8_t, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    std::string nonce = protocol::base64_encode(bytes);
    const auto now = now_();
    std::lock_guard lock(mutex_);
    drop_expired(now);
    if (issued_.size() >= max_outstanding) throw std::runtime_error("too many outstanding nonces");
    issued_.emplace(nonce, now);
    return nonce;
}

bool NonceStore::consume(std::string_view nonce) {
    const auto now = now_();
    std::lock_guard lock(mutex_);
    const auto it = issued_.find(std::string(nonce));
    if (it == issued_.end()) return false;
    const bool fresh = now - it->second < lifetime;
    issued_.erase(it);
    return fresh;
}

std::size_t NonceStore::outstanding() {
    std::lock_guard lock(mutex_);
    drop_expired(now_());
    return issued_.size();
}

void NonceStore::drop_expired(Clock::time_point now) {
    std::erase_if(issued_, [&](const auto& entry) { return now - entry.second >= lifetime; });
}

}  // namespace sithsd::portal
