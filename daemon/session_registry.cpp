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

bool SessionRegistry::reserve() {
    std::lock_guard lock(mutex_);
    if (stopping_ || open_ >= max_) return false;
    ++open_;
    return true;
}

void SessionRegistry::unreserve() {
    std::lock_guard lock(mutex_);
    if (open_ > 0) --open_;
}

std::uint32_t SessionRegistry::open_connections() const {
    std::lock_guard lock(mutex_);
    return open_;
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
