#pragma once
// The daemon's side of the card layer: the card set, its watcher, a refresh thread that turns
// every card event into a fresh snapshot, and one bounded work queue per card.
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/serial_queue.hpp"
#include "pkcs11/card_set.hpp"
#include "pkcs11/card_watcher.hpp"

namespace sithsd::daemon {

class CardService {
  public:
    // The snapshots before and after a card event.
    using ChangeCallback = std::function<void(const std::vector<pkcs11::CardInfo>& before,
                                              const std::vector<pkcs11::CardInfo>& after)>;

    CardService(std::vector<std::shared_ptr<pkcs11::Module>> modules, bool watch_pcsc,
                std::size_t queue_depth);
    ~CardService();
    CardService(const CardService&) = delete;
    CardService& operator=(const CardService&) = delete;

    // Reads the cards once, then watches: on_change gets every new snapshot after a card event.
    void start(ChangeCallback on_change);
    // Stops the watcher and the refresh thread, lets queued card work finish.
    void stop();

    std::vector<pkcs11::CardInfo> cards() const;
    pkcs11::CardSet& card_set() { return cards_; }
    // Queues card work; false when that card's queue is full (BUSY).
    bool submit(const std::string& card_id, std::function<void()> job);
    // Asks for a refresh (after an operation found the card gone, say).
    void request_refresh();

  private:
    void refresh_loop();

    pkcs11::CardSet cards_;
    std::vector<std::shared_ptr<pkcs11::Module>> modules_;
    bool watch_pcsc_;
    std::size_t queue_depth_;
    ChangeCallback on_change_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    bool dirty_ = false;
    bool stopping_ = false;
    std::vector<pkcs11::CardInfo> snapshot_;
    std::map<std::string, std::unique_ptr<SerialQueue>> queues_;
    std::unique_ptr<pkcs11::CardWatcher> watcher_;
    std::thread refresher_;
};

}  // namespace sithsd::daemon
