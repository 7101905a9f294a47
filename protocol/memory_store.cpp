#include "protocol/memory_store.hpp"

namespace sithsd::protocol {

MemoryStore::MemoryStore(std::size_t max_entries, std::function<Clock::time_point()> now)
    : max_entries_(max_entries), now_(std::move(now)) {}

MemoryStore::Map::iterator MemoryStore::find_live(std::string_view key, Clock::time_point now) {
    auto it = entries_.find(std::string(key));
    if (it != entries_.end() && it->second.expires <= now) {
        entries_.erase(it);
        return entries_.end();
    }
    return it;
}

void MemoryStore::make_room(Clock::time_point now) {
    if (entries_.size() < max_entries_) return;
    std::erase_if(entries_, [&](const auto& entry) { return entry.second.expires <= now; });
    if (entries_.size() >= max_entries_) throw StoreUnavailable("the memory store is full");
}

bool MemoryStore::add(std::string_view key, std::string_view value, std::chrono::seconds ttl) {
    const auto now = now_();
    std::lock_guard lock(mutex_);
    if (find_live(key, now) != entries_.end()) return false;
    make_room(now);
    entries_.emplace(std::string(key), Entry{std::string(value), now + ttl});
    return true;
}

void MemoryStore::put(std::string_view key, std::string_view value, std::chrono::seconds ttl) {
    const auto now = now_();
    std::lock_guard lock(mutex_);
    if (find_live(key, now) == entries_.end()) make_room(now);
    entries_.insert_or_assign(std::string(key), Entry{std::string(value), now + ttl});
}

std::optional<std::string> MemoryStore::get(std::string_view key) {
    const auto now = now_();
    std::lock_guard lock(mutex_);
    const auto it = find_live(key, now);
    if (it == entries_.end()) return std::nullopt;
    return it->second.value;
}

std::optional<std::string> MemoryStore::take(std::string_view key) {
    const auto now = now_();
    std::lock_guard lock(mutex_);
    const auto it = find_live(key, now);
    if (it == entries_.end()) return std::nullopt;
    std::string value = std::move(it->second.value);
    entries_.erase(it);
    return value;
}

void MemoryStore::remove(std::string_view key) {
    std::lock_guard lock(mutex_);
    entries_.erase(std::string(key));
}

std::size_t MemoryStore::size() {
    const auto now = now_();
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const auto& entry) { return entry.second.expires <= now; });
    return entries_.size();
}

}  // namespace sithsd::protocol
