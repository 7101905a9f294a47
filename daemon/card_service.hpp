#pragma once
// The daemon's side of the card layer: the card set, its watcher, a refresh thread that turns
// every card event into a fresh snapshot (and ends kept logins when the identification PIN cache
// runs out), and one bounded work queue per card.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/cards.hpp"
#include "daemon/kept_logins.hpp"
#include "daemon/serial_queue.hpp"
#include "pkcs11/card_set.hpp"
#include "pkcs11/card_watcher.hpp"

namespace sithsd::daemon {

class CardService final : public Cards {
  public:
    // The snapshots before and after a card event.
    using ChangeCallback = std::function<void(const std::vector<pkcs11::CardInfo>& before,
                                              const std::vector<pkcs11::CardInfo>& after)>;

    // keep_login_for: the identification PIN cache (0: never kept).
    CardService(std::vector<std::shared_ptr<pkcs11::Module>> modules, bool watch_pcsc,
                std::size_t queue_depth, std::chrono::seconds keep_login_for);
    ~CardService() override;
    CardService(const CardService&) = delete;
    CardService& operator=(const CardService&) = delete;

    // Reads the cards once, then watches: on_change gets every new snapshot after a card event.
    void start(ChangeCallback on_change);
    // Stops the watcher and the refresh thread, lets queued card work finish.
    void stop();

    // True while a login is kept (the identification PIN cache): a restart would lose it.
    bool holds_kept_login() const;

    // Cards (daemon/cards.hpp).
    std::vector<pkcs11::CardInfo> cards() const override;
    bool submit(const std::string& card_id, std::function<void()> job) override;
    void request_refresh() override;
    pkcs11::PinInfo pin_info(const std::string& card_id, PinKind kind) override;
    pkcs11::PinInfo reread_pin(const std::string& card_id, PinKind kind) override;
    std::vector<std::uint8_t> sign(const pkcs11::SignatureRequest& request,
                                   const pkcs11::Secret& pin,
                                   const std::optional<LoginHolder>& keep_for) override;
    std::optional<std::vector<std::uint8_t>> sign_with_kept_login(
        const pkcs11::SignatureRequest& request, const std::string& scope) override;
    std::vector<LoginHolder> kept_login_holders(const std::string& card_id) const override;
    void share_kept_login(const std::string& card_id, const LoginHolder& holder) override;
    void change_pin(const std::string& card_id, PinKind kind, const pkcs11::Secret& old_pin,
                    const pkcs11::Secret& new_pin) override;
    void unblock_pin(const std::string& card_id, PinKind kind, const pkcs11::Secret& puk,
                     const pkcs11::Secret& new_pin) override;

  private:
    void refresh_loop();
    // The card a certificate is on; "" when it is gone.
    std::string card_of(const std::string& certificate_id) const;
    // The card's kept login is gone from the card layer: gone from the book too.
    void forget_kept(const std::string& card_id);

    pkcs11::CardSet cards_;
    std::vector<std::shared_ptr<pkcs11::Module>> modules_;
    bool watch_pcsc_;
    std::size_t queue_depth_;
    std::chrono::seconds keep_login_for_;
    ChangeCallback on_change_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool dirty_ = false;
    bool stopping_ = false;
    std::vector<pkcs11::CardInfo> snapshot_;
    KeptLogins kept_;  // whom each card's kept login serves, and until when
    std::map<std::string, std::unique_ptr<SerialQueue>> queues_;
    std::unique_ptr<pkcs11::CardWatcher> watcher_;
    std::thread refresher_;
};

}  // namespace sithsd::daemon
