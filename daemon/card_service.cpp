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
    return !kept_.empty();
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

std::string CardService::card_of(const std::string& certificate_id) const {
    auto cert = cards_.certificate(certificate_id);
    return cert ? cert->card_id : std::string();
}

void CardService::forget_kept(const std::string& card_id) {
    std::lock_guard lock(mutex_);
    kept_.forget(card_id);
}

std::vector<std::uint8_t> CardService::sign(const pkcs11::SignatureRequest& request,
                                            const pkcs11::Secret& pin,
                                            const std::optional<LoginHolder>& keep_for) {
    const bool keep = keep_for && keep_login_for_.count() > 0;
    const std::string card_id = card_of(request.certificate_id);
    // The card layer ends a kept login before every fresh one, whether this one works or not.
    forget_kept(card_id);
    auto signature = cards_.sign(request, pin, keep);
    if (keep && !card_id.empty()) {
        {
            std::lock_guard lock(mutex_);
            kept_.keep(card_id, *keep_for, std::chrono::steady_clock::now() + keep_login_for_);
        }
        wake_.notify_all();
    }
    return signature;
}

std::optional<std::vector<std::uint8_t>> CardService::sign_with_kept_login(
    const pkcs11::SignatureRequest& request, const std::string& scope) {
    const std::string card_id = card_of(request.certificate_id);
    {
        std::lock_guard lock(mutex_);
        if (!kept_.serves(card_id, scope)) return std::nullopt;
    }
    auto signature = cards_.sign_with_cached_login(request);
    if (!signature) forget_kept(card_id);  // the token forgot it, or it had ended meanwhile
    return signature;
}

std::vector<LoginHolder> CardService::kept_login_holders(const std::string& card_id) const {
    std::lock_guard lock(mutex_);
    return kept_.holders(card_id);
}

void CardService::share_kept_login(const std::string& card_id, const LoginHolder& holder) {
    std::lock_guard lock(mutex_);
    kept_.share(card_id, holder);
}

void CardService::change_pin(const std::string& card_id, PinKind kind,
                             const pkcs11::Secret& old_pin, const pkcs11::Secret& new_pin) {
    forget_kept(card_id);  // the card layer logs out a kept login before a PIN change
    cards_.change_pin(card_id, kind, old_pin, new_pin);
}

void CardService::unblock_pin(const std::string& card_id, PinKind kind, const pkcs11::Secret& puk,
                              const pkcs11::Secret& new_pin) {
    forget_kept(card_id);
    cards_.unblock_pin(card_id, kind, puk, new_pin);
}

void CardService::refresh_loop() {
    std::unique_lock lock(mutex_);
    while (true) {
        if (const auto wake_at = kept_.next_end())
            wake_.wait_until(lock, *wake_at, [this] { return stopping_ || dirty_; });
        else
            wake_.wait(lock, [this] { return stopping_ || dirty_ || !kept_.empty(); });
        if (stopping_) return;
        auto logouts = kept_.take_ended(std::chrono::steady_clock::now());
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
        kept_.forget_unless(present);
        lock.unlock();
        spdlog::info("cards changed: {} inserted", fresh.size());
        if (on_change_) on_change_(before, fresh);
        lock.lock();
    }
}

}  // namespace sithsd::daemon
