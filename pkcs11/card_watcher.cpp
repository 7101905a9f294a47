#include "pkcs11/card_watcher.hpp"

#include <p11-kit/pkcs11.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <string>

#include "pkcs11/p11.hpp"
#include "pkcs11/pcsc.hpp"

namespace sithsd::pkcs11 {
namespace {

// How often stop() repeats SCardCancel: a PC/SC wait that began just after one cancel (which
// only ends waits in progress) is ended by the next.
constexpr auto kCancelRepeat = std::chrono::milliseconds(20);
// The least time between two reports of a blocking module: a module that answers every blocking
// wait at once cannot make the watcher spin.
constexpr auto kEventSpacing = std::chrono::milliseconds(5);

// What the slot list shows: slots with tokens and their serials. A change is a card event.
std::string slot_snapshot(CK_FUNCTION_LIST* f) {
    CK_ULONG count = 0;
    if (f->C_GetSlotList(CK_TRUE, nullptr, &count) != CKR_OK) return "error";
    std::vector<CK_SLOT_ID> slots(count);
    if (count && f->C_GetSlotList(CK_TRUE, slots.data(), &count) != CKR_OK) return "error";
    std::string snapshot;
    for (CK_ULONG i = 0; i < count; ++i) {
        CK_TOKEN_INFO info{};
        snapshot += std::to_string(slots[i]) + ":";
        if (f->C_GetTokenInfo(slots[i], &info) == CKR_OK)
            snapshot += p11::trimmed(info.serialNumber, sizeof info.serialNumber) + "/" +
                        p11::trimmed(info.label, sizeof info.label);
        snapshot += ";";
    }
    return snapshot;
}

// Takes every pending slot event without blocking; true when there was one.
bool drain_slot_events(CK_FUNCTION_LIST* f, CK_RV& last) {
    CK_SLOT_ID slot = 0;
    bool any = false;
    while ((last = f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, nullptr)) == CKR_OK) any = true;
    return any;
}

}  // namespace

struct CardWatcher::Shared {
    Callback callback;
    Options options;
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    pcsc::Context* pcsc_context = nullptr;          // while the PC/SC thread may wait on it
    std::vector<std::shared_ptr<Module>> blocking;  // modules in a blocking C_WaitForSlotEvent
    std::vector<bool> done;                         // per thread

    bool is_stopping() {
        std::lock_guard lock(mutex);
        return stopping;
    }
    // Waits for the interval or stop(); true when stopping.
    bool wait_or_stop(std::chrono::milliseconds interval) {
        std::unique_lock lock(mutex);
        return wake.wait_for(lock, interval, [this] { return stopping; });
    }
    // The callback, never after stop() has begun.
    void report(Source source) {
        std::lock_guard lock(mutex);
        if (!stopping) callback(source);
    }
    void finished(std::size_t thread) {
        std::lock_guard lock(mutex);
        done[thread] = true;
        wake.notify_all();
    }

    void watch_pcsc();
    // The readers of one context until stop() (true) or pcscd goes away (throws pcsc::Error).
    bool watch_readers(pcsc::Context& context);
    void watch_module(const std::shared_ptr<Module>& module);
    // Each returns true when stopping, false when the module fell back to the next way.
    bool wait_blocking(const std::shared_ptr<Module>& module);
    bool poll_slot_events(const std::shared_ptr<Module>& module);
    void poll_slot_list(const std::shared_ptr<Module>& module);
};

CardWatcher::CardWatcher(const std::vector<std::shared_ptr<Module>>& modules, Callback callback,
                         Options options)
    : shared_(std::make_shared<Shared>()) {
    shared_->callback = std::move(callback);
    shared_->options = options;
    shared_->done.assign(modules.size() + (options.pcsc ? 1 : 0), false);
    // Each thread holds the shared state (and its module): one left behind by stop() touches
    // nothing of the watcher.
    std::size_t index = 0;
    if (options.pcsc)
        threads_.emplace_back([shared = shared_, index = index++] {
            shared->watch_pcsc();
            shared->finished(index);
        });
    for (auto& module : modules)
        threads_.emplace_back([shared = shared_, module, index = index++] {
            shared->watch_module(module);
            shared->finished(index);
        });
}

CardWatcher::~CardWatcher() {
    stop();
}

void CardWatcher::stop() {
    std::vector<std::shared_ptr<Module>> blocking;
    {
        std::lock_guard lock(shared_->mutex);
        if (threads_.empty()) return;
        shared_->stopping = true;
        if (shared_->pcsc_context) shared_->pcsc_context->cancel();
        blocking = shared_->blocking;
    }
    shared_->wake.notify_all();
    for (auto& module : blocking) module->finalize();

    const auto deadline = std::chrono::steady_clock::now() + shared_->options.stop_deadline;
    {
        std::unique_lock lock(shared_->mutex);
        auto all_done = [&] {
            for (bool d : shared_->done)
                if (!d) return false;
            return true;
        };
        while (!all_done() && std::chrono::steady_clock::now() < deadline) {
            if (shared_->pcsc_context) shared_->pcsc_context->cancel();
            shared_->wake.wait_for(lock, kCancelRepeat);
        }
    }
    for (std::size_t i = 0; i < threads_.size(); ++i) {
        bool done;
        {
            std::lock_guard lock(shared_->mutex);
            done = shared_->done[i];
        }
        if (done) {
            threads_[i].join();
        } else {
            spdlog::error("card watcher: a watcher thread did not stop within {} ms; left behind",
                          shared_->options.stop_deadline.count());
            threads_[i].detach();
        }
    }
    threads_.clear();
}

void CardWatcher::Shared::watch_pcsc() {
    bool said_unavailable = false;
    while (!is_stopping()) {
        std::unique_ptr<pcsc::Context> context;
        try {
            context = std::make_unique<pcsc::Context>();
        } catch (const pcsc::Error& e) {
            // pcscd not running: say so once, then retry quietly; PKCS#11 events still work.
            if (!said_unavailable)
                spdlog::info(
                    "card watcher: PC/SC is not available ({}); retrying quietly, PKCS#11 events "
                    "only",
                    e.what());
            said_unavailable = true;
            if (wait_or_stop(options.pcsc_retry)) return;
            continue;
        }
        if (said_unavailable) spdlog::info("card watcher: PC/SC is available again");
        said_unavailable = false;
        {
            std::lock_guard lock(mutex);
            if (stopping) return;
            pcsc_context = context.get();
        }
        bool stopped = false;
        try {
            stopped = watch_readers(*context);
        } catch (const pcsc::Error& e) {
            // pcscd went away (SCARD_E_NO_SERVICE and friends): report, then start over.
            spdlog::debug("card watcher: {}", e.what());
        }
        {
            std::lock_guard lock(mutex);
            pcsc_context = nullptr;
        }
        context.reset();
        if (stopped) return;
        report(Source::pcsc);
        if (wait_or_stop(options.pcsc_retry)) return;
    }
}

bool CardWatcher::Shared::watch_readers(pcsc::Context& context) {
    for (bool first = true;; first = false) {
        pcsc::ReaderMonitor monitor(context);
        if (!first) report(Source::pcsc);  // the reader list itself changed
        while (true) {
            // stop() repeats its cancel until this thread is done, so a wait that began just
            // after one cancel ends too.
            if (is_stopping()) return true;
            const auto change = monitor.wait(options.pcsc_wait);
            if (change == pcsc::ReaderMonitor::Change::cancelled) return true;
            if (change == pcsc::ReaderMonitor::Change::readers) break;
            if (change == pcsc::ReaderMonitor::Change::cards) report(Source::pcsc);
        }
    }
}

void CardWatcher::Shared::watch_module(const std::shared_ptr<Module>& module) {
    if (module->supports_slot_events()) {
        // Does it have slot events at all? Takes the events of the time before, too.
        CK_RV rv = CKR_OK;
        drain_slot_events(module->functions(), rv);
        if (rv == CKR_FUNCTION_NOT_SUPPORTED) module->set_supports_slot_events(false);
    }
    if (module->supports_slot_events() && options.blocking_slot_events &&
        module->owns_initialization()) {
        if (wait_blocking(module)) return;
    }
    if (module->supports_slot_events()) {
        if (poll_slot_events(module)) return;
    }
    poll_slot_list(module);
}

bool CardWatcher::Shared::wait_blocking(const std::shared_ptr<Module>& module) {
    CK_FUNCTION_LIST* f = module->functions();
    {
        std::lock_guard lock(mutex);
        if (stopping) return true;
        blocking.push_back(module);  // stop() ends the wait with C_Finalize
    }
    auto leave = [&] {
        std::lock_guard lock(mutex);
        std::erase(blocking, module);
    };
    while (true) {
        CK_SLOT_ID slot = 0;
        const CK_RV rv = f->C_WaitForSlotEvent(0, &slot, nullptr);
        if (is_stopping()) return true;  // CKR_CRYPTOKI_NOT_INITIALIZED after stop()'s C_Finalize
        if (rv == CKR_OK) {
            CK_RV last = CKR_OK;
            drain_slot_events(f, last);  // an insertion may be one event per slot
            report(Source::pkcs11);
            if (wait_or_stop(kEventSpacing)) return true;
            continue;
        }
        leave();
        // SoftHSM2 answers CKR_NO_EVENT to every CKF_DONT_BLOCK call and
        // CKR_FUNCTION_NOT_SUPPORTED to a blocking one: it has no slot events at all.
        if (rv != CKR_FUNCTION_NOT_SUPPORTED)
            spdlog::warn(
                "card watcher: blocking C_WaitForSlotEvent of {} failed: {}; polling the slot list "
                "instead",
                module->path(), ckr_name(rv));
        module->set_supports_slot_events(false);
        return false;
    }
}

bool CardWatcher::Shared::poll_slot_events(const std::shared_ptr<Module>& module) {
    // C_WaitForSlotEvent without blocking, asked every event_poll: for modules that we did not
    // initialise (finalising them would take them from their other user) or that only have
    // CKF_DONT_BLOCK.
    CK_FUNCTION_LIST* f = module->functions();
    while (!wait_or_stop(options.event_poll)) {
        CK_RV rv = CKR_OK;
        if (drain_slot_events(f, rv)) report(Source::pkcs11);
        if (rv == CKR_NO_EVENT) continue;
        if (rv != CKR_FUNCTION_NOT_SUPPORTED)
            spdlog::warn(
                "card watcher: C_WaitForSlotEvent of {} failed: {}; polling the slot list instead",
                module->path(), ckr_name(rv));
        module->set_supports_slot_events(false);
        return false;
    }
    return true;
}

void CardWatcher::Shared::poll_slot_list(const std::shared_ptr<Module>& module) {
    // No slot events (SoftHSM2, some vendor modules): compare the slot list at most every 500 ms.
    CK_FUNCTION_LIST* f = module->functions();
    std::string last = slot_snapshot(f);
    while (!wait_or_stop(options.slot_list_poll)) {
        std::string now = slot_snapshot(f);
        if (now != last) {
            last = std::move(now);
            report(Source::pkcs11);
        }
    }
}

}  // namespace sithsd::pkcs11
