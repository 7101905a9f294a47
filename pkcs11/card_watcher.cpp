#include "pkcs11/card_watcher.hpp"

#include <PCSC/winscard.h>
#include <p11-kit/pkcs11.h>
#include <spdlog/spdlog.h>

#include <cstring>

#include "pkcs11/p11.hpp"

namespace sithsd::pkcs11 {
namespace {

// The longest PC/SC wait: the backstop for a stop() that comes between two waits.
constexpr DWORD kStopCheck = 500;  // ms

// pcsc-lite's name for "tell me when readers come and go".
constexpr const char* kPnpReader = "\\\\?PnP?\\Notification";

std::vector<std::string> list_readers(SCARDCONTEXT context) {
    DWORD size = 0;
    LONG rv = SCardListReaders(context, nullptr, nullptr, &size);
    if (rv == static_cast<LONG>(SCARD_E_NO_READERS_AVAILABLE) || size == 0) return {};
    if (rv != SCARD_S_SUCCESS) throw rv;
    std::string buffer(size, '\0');
    rv = SCardListReaders(context, nullptr, buffer.data(), &size);
    if (rv == static_cast<LONG>(SCARD_E_NO_READERS_AVAILABLE)) return {};
    if (rv != SCARD_S_SUCCESS) throw rv;
    std::vector<std::string> readers;
    for (const char* p = buffer.c_str(); *p; p += std::strlen(p) + 1) readers.emplace_back(p);
    return readers;
}

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

}  // namespace

CardWatcher::CardWatcher(std::vector<std::shared_ptr<Module>> modules, Callback callback,
                         Options options)
    : callback_(std::move(callback)), options_(options) {
    if (options_.pcsc) threads_.emplace_back([this] { watch_pcsc(); });
    for (auto& module : modules) threads_.emplace_back([this, module] { watch_module(module); });
}

CardWatcher::~CardWatcher() {
    stop();
}

void CardWatcher::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
        if (pcsc_context_valid_) SCardCancel(static_cast<SCARDCONTEXT>(pcsc_context_));
    }
    wake_.notify_all();
    for (auto& thread : threads_)
        if (thread.joinable()) thread.join();
    threads_.clear();
}

bool CardWatcher::stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
}

bool CardWatcher::wait_or_stop(std::chrono::milliseconds interval) {
    std::unique_lock lock(mutex_);
    return wake_.wait_for(lock, interval, [this] { return stopping_; });
}

void CardWatcher::watch_pcsc() {
    bool said_unavailable = false;
    while (true) {
        SCARDCONTEXT context = 0;
        LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &context);
        if (rv != SCARD_S_SUCCESS) {
            // pcscd not running: say so once, then retry quietly; PKCS#11 events still work.
            if (!said_unavailable) {
                spdlog::info(
                    "card watcher: PC/SC is not available ({}); retrying quietly, PKCS#11 events "
                    "only",
                    pcsc_stringify_error(rv));
                said_unavailable = true;
            }
            if (wait_or_stop(options_.pcsc_retry)) return;
            continue;
        }
        {
            std::lock_guard lock(mutex_);
            if (stopping_) {
                SCardReleaseContext(context);
                return;
            }
            pcsc_context_ = static_cast<long>(context);
            pcsc_context_valid_ = true;
        }
        if (said_unavailable) {
            spdlog::info("card watcher: PC/SC is available again");
            said_unavailable = false;
        }
        bool first = true;
        try {
            while (true) {
                std::vector<std::string> readers = list_readers(context);
                std::vector<SCARD_READERSTATE> states(readers.size() + 1);
                for (std::size_t i = 0; i < readers.size(); ++i) {
                    states[i] = {};
                    states[i].szReader = readers[i].c_str();
                    states[i].dwCurrentState = SCARD_STATE_UNAWARE;
                }
                states.back() = {};
                states.back().szReader = kPnpReader;
                states.back().dwCurrentState = static_cast<DWORD>(readers.size()) << 16;
                // Learn the current state without reporting it, then wait for changes.
                SCardGetStatusChange(context, 0, states.data(), static_cast<DWORD>(states.size()));
                for (auto& state : states)
                    state.dwCurrentState = state.dwEventState & ~SCARD_STATE_CHANGED;
                if (!first) callback_(Source::pcsc);  // the reader list itself changed
                first = false;
                bool readers_changed = false;
                while (!readers_changed) {
                    // stop() cancels a wait in progress with SCardCancel; one that starts just
                    // after the cancel would not see it, so no wait is longer than kStopCheck.
                    if (stopping()) throw static_cast<LONG>(SCARD_E_CANCELLED);
                    rv = SCardGetStatusChange(context, kStopCheck, states.data(),
                                              static_cast<DWORD>(states.size()));
                    if (rv == static_cast<LONG>(SCARD_E_CANCELLED)) throw rv;
                    if (rv == static_cast<LONG>(SCARD_E_TIMEOUT)) continue;
                    if (rv != SCARD_S_SUCCESS) throw rv;
                    bool cards_changed = false;
                    for (std::size_t i = 0; i + 1 < states.size(); ++i) {
                        auto& state = states[i];
                        if (!(state.dwEventState & SCARD_STATE_CHANGED)) continue;
                        constexpr DWORD kPresence = SCARD_STATE_PRESENT | SCARD_STATE_EMPTY;
                        if ((state.dwEventState ^ state.dwCurrentState) & kPresence)
                            cards_changed = true;
                        if (state.dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE))
                            readers_changed = true;
                        state.dwCurrentState = state.dwEventState & ~SCARD_STATE_CHANGED;
                    }
                    auto& pnp = states.back();
                    if (pnp.dwEventState & SCARD_STATE_CHANGED) readers_changed = true;
                    pnp.dwCurrentState = pnp.dwEventState & ~SCARD_STATE_CHANGED;
                    if (cards_changed && !readers_changed) callback_(Source::pcsc);
                }
            }
        } catch (LONG error) {
            {
                std::lock_guard lock(mutex_);
                pcsc_context_valid_ = false;
            }
            SCardReleaseContext(context);
            if (error == static_cast<LONG>(SCARD_E_CANCELLED)) {
                std::lock_guard lock(mutex_);
                if (stopping_) return;
            }
            // pcscd went away (SCARD_E_NO_SERVICE and friends): report, then start over.
            callback_(Source::pcsc);
            if (wait_or_stop(options_.pcsc_retry)) return;
        }
    }
}

void CardWatcher::watch_module(std::shared_ptr<Module> module) {
    CK_FUNCTION_LIST* f = module->functions();
    // C_WaitForSlotEvent without blocking, asked every event_poll: a blocking wait could only be
    // ended by C_Finalize, which would take the module away from everyone else.
    while (module->supports_slot_events()) {
        if (wait_or_stop(options_.event_poll)) return;
        CK_SLOT_ID slot = 0;
        bool any = false;
        CK_RV rv;
        while ((rv = f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, nullptr)) == CKR_OK) any = true;
        if (any) callback_(Source::pkcs11);
        if (rv == CKR_FUNCTION_NOT_SUPPORTED)
            module->set_supports_slot_events(false);
        else if (rv != CKR_NO_EVENT) {
            spdlog::warn(
                "card watcher: C_WaitForSlotEvent of {} failed: {}; polling the slot list instead",
                module->path(), ckr_name(rv));
            module->set_supports_slot_events(false);
        }
    }
    // No slot events (SoftHSM2, some vendor modules): compare the slot list at most every 500 ms.
    std::string last = slot_snapshot(f);
    while (!wait_or_stop(options_.slot_list_poll)) {
        std::string now = slot_snapshot(f);
        if (now != last) {
            last = std::move(now);
            callback_(Source::pkcs11);
        }
    }
}

}  // namespace sithsd::pkcs11
