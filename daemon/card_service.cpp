#include "daemon/card_service.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace sithsd::daemon {

CardService::CardService(std::vector<std::shared_ptr<pkcs11::Module>> modules, bool watch_pcsc,
                         std::size_t queue_depth)
    : cards_(modules),
      modules_(std::move(modules)),
      watch_pcsc_(watch_pcsc),
      queue_depth_(queue_depth) {}

CardService::~CardService() {
    stop();
}

void CardService::start(ChangeCallback on_change) {
    on_change_ = std::move(on_change);
    cards_.refresh();
    {
        std::lock_guard lock(mutex_);
        snapshot_ = cards_.cards();
    }
    spdlog::info("cards: {} inserted", snapshot_.size());
    refresher_ = std::thread([this] { refresh_loop(); });
    pkcs11::CardWatcher::Options options;
    options.pcsc = watch_pcsc_;
    watcher_ = std::make_unique<pkcs11::CardWatcher>(
        modules_, [this](pkcs11::CardWatcher::Source) { request_refresh(); }, options);
}

void CardService::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (refresher_.joinable()) refresher_.join();
    std::map<std::string, std::unique_ptr<SerialQueue>> queues;
    {
        std::lock_guard lock(mutex_);
        queues.swap(queues_);
    }
    queues.clear();  // each finishes its jobs (they answer quickly once the daemon stops)
    // Last: the watcher ends blocking slot-event waits with C_Finalize, after which no card call
    // works; kept logins are logged out before.
    if (watcher_) {
        for (const auto& card : cards_.cards()) cards_.forget_login(card.card_id);
        watcher_->stop();
    }
}

std::vector<pkcs11::CardInfo> CardService::cards() const {
    std::lock_guard lock(mutex_);
    return snapshot_;
}

bool CardService::submit(const std::string& card_id, std::function<void()> job) {
    std::lock_guard lock(mutex_);
    auto& queue = queues_[card_id];
    if (!queue) queue = std::make_unique<SerialQueue>(queue_depth_);
    return queue->post(std::move(job));
}

void CardService::request_refresh() {
    {
        std::lock_guard lock(mutex_);
        dirty_ = true;
    }
    wake_.notify_all();
}

void CardService::refresh_loop() {
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait(lock, [this] { return stopping_ || dirty_; });
        if (stopping_) return;
        dirty_ = false;  // events during the refresh below ask for another one
        lock.unlock();
        cards_.refresh();
        auto fresh = cards_.cards();
        lock.lock();
        auto before = std::exchange(snapshot_, fresh);
        // Queues of cards that went away are dropped once idle.
        for (auto it = queues_.begin(); it != queues_.end();) {
            bool present = false;
            for (const auto& card : fresh) present = present || card.card_id == it->first;
            if (!present && it->second->depth() == 0)
                it = queues_.erase(it);
            else
                ++it;
        }
        lock.unlock();
        spdlog::info("cards changed: {} inserted", fresh.size());
        if (on_change_) on_change_(before, fresh);
        lock.lock();
    }
}

}  // namespace sithsd::daemon
