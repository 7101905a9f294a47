#include "daemon/card_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace sithsd::daemon {

CardService::CardService(std::vector<std::shared_ptr<pkcs11::Module>> modules, bool watch_pcsc,
                         std::size_t queue_depth, std::chrono::seconds keep_login_for)
    : cards_(modules),
      modules_(std::move(modules)),
      watch_pcsc_(watch_pcsc),
      queue_depth_(queue_depth),
      keep_login_for_(keep_login_for) {}

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

bool CardService::holds_kept_login() const {
    std::lock_guard lock(mutex_);
    return !logout_at_.empty();
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

pkcs11::PinInfo CardService::pin_info(const std::string& card_id, PinKind kind) {
    return cards_.pin_info(card_id, kind);
}

pkcs11::PinInfo CardService::reread_pin(const std::string& card_id, PinKind kind) {
    const pkcs11::PinInfo info = cards_.pin_info(card_id, kind);
    std::vector<pkcs11::CardInfo> before, after;
    {
        std::lock_guard lock(mutex_);
        for (auto& card : snapshot_) {
            if (card.card_id != card_id) continue;
            auto& pin = kind == PinKind::identification ? card.identification : card.signing;
            if (!pin || pin->status == info.status) return info;
            before = snapshot_;
            pin->status = info.status;
            after = snapshot_;
        }
    }
    if (!after.empty() && on_change_) on_change_(before, after);
    return info;
}

std::vector<std::uint8_t> CardService::sign(const pkcs11::SignatureRequest& request,
                                            const pkcs11::Secret& pin, bool keep_login) {
    const bool keep = keep_login && keep_login_for_.count() > 0;
    auto signature = cards_.sign(request, pin, keep);
    if (keep) {
        auto cert = cards_.certificate(request.certificate_id);
        if (cert) {
            {
                std::lock_guard lock(mutex_);
                logout_at_[cert->card_id] = std::chrono::steady_clock::now() + keep_login_for_;
            }
            wake_.notify_all();
        }
    }
    return signature;
}

std::optional<std::vector<std::uint8_t>> CardService::sign_with_kept_login(
    const pkcs11::SignatureRequest& request) {
    return cards_.sign_with_cached_login(request);
}

void CardService::change_pin(const std::string& card_id, PinKind kind,
                             const pkcs11::Secret& old_pin, const pkcs11::Secret& new_pin) {
    cards_.change_pin(card_id, kind, old_pin, new_pin);
}

void CardService::unblock_pin(const std::string& card_id, PinKind kind, const pkcs11::Secret& puk,
                              const pkcs11::Secret& new_pin) {
    cards_.unblock_pin(card_id, kind, puk, new_pin);
}

std::vector<std::string> CardService::take_due_logouts(std::chrono::steady_clock::time_point now) {
    std::vector<std::string> due;
    for (auto it = logout_at_.begin(); it != logout_at_.end();) {
        if (it->second <= now) {
            due.push_back(it->first);
            it = logout_at_.erase(it);
        } else {
            ++it;
        }
    }
    return due;
}

void CardService::refresh_loop() {
    std::unique_lock lock(mutex_);
    while (true) {
        auto wake_at = std::chrono::steady_clock::time_point::max();
        for (const auto& [card, at] : logout_at_) wake_at = std::min(wake_at, at);
        if (wake_at == std::chrono::steady_clock::time_point::max())
            wake_.wait(lock, [this] { return stopping_ || dirty_ || !logout_at_.empty(); });
        else
            wake_.wait_until(lock, wake_at, [this] { return stopping_ || dirty_; });
        if (stopping_) return;
        auto logouts = take_due_logouts(std::chrono::steady_clock::now());
        if (!logouts.empty()) {
            lock.unlock();
            // On the card's queue, so that a logout never cuts into a running operation.
            for (const auto& card : logouts)
                submit(card, [this, card] { cards_.forget_login(card); });
            lock.lock();
        }
        if (!dirty_) continue;
        dirty_ = false;  // events during the refresh below ask for another one
        lock.unlock();
        cards_.refresh();
        auto fresh = cards_.cards();
        lock.lock();
        auto before = std::exchange(snapshot_, fresh);
        const auto present = [&fresh](const std::string& card_id) {
            return std::any_of(fresh.begin(), fresh.end(),
                               [&](const auto& card) { return card.card_id == card_id; });
        };
        // Queues of cards that went away are dropped once idle; their kept logins went with the
        // card (the card layer forgets a removed card's sessions).
        for (auto it = queues_.begin(); it != queues_.end();) {
            if (!present(it->first) && it->second->depth() == 0)
                it = queues_.erase(it);
            else
                ++it;
        }
        std::erase_if(logout_at_, [&](const auto& entry) { return !present(entry.first); });
        lock.unlock();
        spdlog::info("cards changed: {} inserted", fresh.size());
        if (on_change_) on_change_(before, fresh);
        lock.lock();
    }
}

}  // namespace sithsd::daemon
