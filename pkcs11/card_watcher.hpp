#pragma once
// One stream of "cards changed" events from two sources: PC/SC (readers and cards coming and
// going, through pcscd) and PKCS#11, for modules without a reader behind them such as the soft
// card. Per module: a blocking C_WaitForSlotEvent on a thread of its own (no polling: an idle
// daemon sleeps) where the module has slot events and we initialised it; else
// C_WaitForSlotEvent(CKF_DONT_BLOCK) asked every event_poll (a module someone else initialised);
// else, or when the blocking wait is not supported (SoftHSM2), the slot list compared every
// slot_list_poll.
// The callback runs on a watcher thread, under the watcher's lock; it should only hand the event
// on (e.g. post a refresh to a queue).
#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "pkcs11/module.hpp"

namespace sithsd::pkcs11 {

class CardWatcher {
  public:
    enum class Source { pcsc, pkcs11 };
    using Callback = std::function<void(Source)>;
    struct Options {
        bool pcsc = true;  // watch pcscd
        // A blocking C_WaitForSlotEvent where the module has slot events and we initialised it
        // (stop() must C_Finalize it to end the wait); else CKF_DONT_BLOCK every event_poll.
        bool blocking_slot_events = true;
        std::chrono::milliseconds event_poll{50};       // C_WaitForSlotEvent(CKF_DONT_BLOCK)
        std::chrono::milliseconds slot_list_poll{500};  // modules without slot events
        std::chrono::milliseconds pcsc_retry{2000};     // pcscd not running: try again
        std::chrono::milliseconds pcsc_wait{60000};     // longest SCardGetStatusChange
        std::chrono::milliseconds stop_deadline{3000};  // stop() waits no longer for a thread
    };

    CardWatcher(const std::vector<std::shared_ptr<Module>>& modules, Callback callback,
                Options options);
    CardWatcher(const std::vector<std::shared_ptr<Module>>& modules, Callback callback)
        : CardWatcher(modules, std::move(callback), Options{}) {}
    ~CardWatcher();
    CardWatcher(const CardWatcher&) = delete;
    CardWatcher& operator=(const CardWatcher&) = delete;

    // Stops every watcher thread and waits for them, at most stop_deadline (also done by the
    // destructor); no callback runs after it returns. PKCS#11 ends a blocking C_WaitForSlotEvent
    // only through C_Finalize (v2.40 §5.4.2), so stop() finalises the modules it waits on that
    // way: stop the watcher after the last card operation. A thread that a module does not let
    // go of by the deadline is left behind (logged); it holds its module, never the watcher.
    void stop();

  private:
    struct Shared;  // card_watcher.cpp: what the threads share (they may outlive the watcher)
    std::shared_ptr<Shared> shared_;
    std::vector<std::thread> threads_;
};

}  // namespace sithsd::pkcs11
