#pragma once
// One stream of "cards changed" events from two sources: PC/SC (readers and cards coming and
// going, through pcscd) and PKCS#11 (C_WaitForSlotEvent, or the slot list polled when a module has
// no events), for modules without a reader behind them such as the soft card. The callback runs
// on a watcher thread; it should only hand the event on (e.g. post a refresh to a queue).
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pkcs11/module.hpp"

namespace sithsd::pkcs11 {

class CardWatcher {
  public:
    enum class Source { pcsc, pkcs11 };
    using Callback = std::function<void(Source)>;
    struct Options {
        bool pcsc = true;                               // watch pcscd
        std::chrono::milliseconds event_poll{50};       // C_WaitForSlotEvent(CKF_DONT_BLOCK)
        std::chrono::milliseconds slot_list_poll{500};  // modules without slot events
        std::chrono::milliseconds pcsc_retry{2000};     // pcscd not running: try again
    };

    CardWatcher(std::vector<std::shared_ptr<Module>> modules, Callback callback, Options options);
    CardWatcher(std::vector<std::shared_ptr<Module>> modules, Callback callback)
        : CardWatcher(std::move(modules), std::move(callback), Options{}) {}
    ~CardWatcher();
    CardWatcher(const CardWatcher&) = delete;
    CardWatcher& operator=(const CardWatcher&) = delete;

    // Stops every watcher thread and waits for them (also done by the destructor).
    void stop();

  private:
    void watch_pcsc();
    void watch_module(std::shared_ptr<Module> module);
    bool stopping();
    // Waits for the interval or stop(); true when stopping.
    bool wait_or_stop(std::chrono::milliseconds interval);

    Callback callback_;
    Options options_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    long pcsc_context_ = 0;  // SCARDCONTEXT while a PC/SC wait runs, for SCardCancel
    bool pcsc_context_valid_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace sithsd::pkcs11
