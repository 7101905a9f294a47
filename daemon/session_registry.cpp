#include "daemon/session_registry.hpp"

namespace sithsd::daemon {

bool SessionRegistry::track(std::uint64_t id, std::weak_ptr<Closable> session) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    sessions_.emplace(id, std::move(session));
    return true;
}

void SessionRegistry::untrack(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    sessions_.erase(id);
}

std::uint32_t SessionRegistry::limit(Pool pool) const {
    switch (pool) {
        case Pool::handshake:
            return limits_.handshake;
        case Pool::untrusted:
            return limits_.untrusted;
        case Pool::allowed:
            return limits_.allowed;
        case Pool::local:
            return limits_.local;
    }
    return 0;
}

bool SessionRegistry::reserve(Pool pool, std::uint64_t id) {
    std::shared_ptr<Closable> evicted;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return false;
        auto& count = counts_[static_cast<std::size_t>(pool)];
        if (pool == Pool::handshake) {
            if (count >= limits_.handshake && !handshakes_.empty()) {
                // The oldest has had the longest to send its request; a real client sends it at
                // once, so the one dropped is almost always a slow or idle one.
                auto oldest = handshakes_.begin();
                evicted = oldest->second.lock();
                handshakes_.erase(oldest);
                --count;
            }
            auto it = sessions_.find(id);
            handshakes_.emplace(id, it != sessions_.end() ? it->second : std::weak_ptr<Closable>());
        } else if (count >= limit(pool)) {
            return false;
        }
        ++count;
    }
    if (evicted) evicted->evict();  // outside the lock: it posts to the session's strand
    return true;
}

void SessionRegistry::unreserve(Pool pool, std::uint64_t id) {
    std::lock_guard lock(mutex_);
    if (pool == Pool::handshake && handshakes_.erase(id) == 0) return;  // evicted: not counted
    auto& count = counts_[static_cast<std::size_t>(pool)];
    if (count > 0) --count;
}

std::uint32_t SessionRegistry::count(Pool pool) const {
    std::lock_guard lock(mutex_);
    return counts_[static_cast<std::size_t>(pool)];
}

std::uint32_t SessionRegistry::open_connections() const {
    std::lock_guard lock(mutex_);
    std::uint32_t sum = 0;
    for (auto count : counts_) sum += count;
    return sum;
}

bool SessionRegistry::take_send_bytes(std::size_t bytes) {
    std::size_t now = send_bytes_.load();
    do {
        if (now + bytes > limits_.send_bytes) return false;
    } while (!send_bytes_.compare_exchange_weak(now, now + bytes));
    return true;
}

void SessionRegistry::give_send_bytes(std::size_t bytes) {
    send_bytes_ -= bytes;
}

std::vector<std::shared_ptr<Closable>> SessionRegistry::stop() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    std::vector<std::shared_ptr<Closable>> live;
    for (auto& [id, weak] : sessions_)
        if (auto session = weak.lock()) live.push_back(std::move(session));
    return live;
}

}  // namespace sithsd::daemon
