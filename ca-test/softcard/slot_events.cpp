// Module::wait_for_slot_event: C_WaitForSlotEvent, blocking (woken by softcard.json changing or
// by C_Finalize) or with CKF_DONT_BLOCK.
#include <optional>

#include "ca-test/softcard/conf_watch.hpp"
#include "ca-test/softcard/module.hpp"

namespace sithsd::softcard {

CK_RV Module::wait_for_slot_event(CK_FLAGS flags, CK_SLOT_ID* slot, void* reserved) {
    if (!slot || reserved) return CKR_ARGUMENTS_BAD;
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    const std::uint64_t epoch = epoch_;
    ++waiters_;
    // Watching before the first look: a change between that look and the wait still wakes it.
    std::optional<ConfWatch> watch;
    if (!(flags & CKF_DONT_BLOCK)) watch.emplace(world_->conf_path);
    const WakeSignal& finalized = *finalize_wake_;  // lives until the last waiter has left
    CK_RV rv = CKR_NO_EVENT;
    for (;;) {
        refresh();
        for (CK_SLOT_ID i = 0; i < slots_.size(); ++i) {
            const Card& c = cards_[i / 2];
            Slot& s = slots_[i];
            if (s.reported_present != c.inserted || s.reported_generation != c.generation) {
                s.reported_present = c.inserted;
                s.reported_generation = c.generation;
                *slot = i;
                rv = CKR_OK;
                break;
            }
        }
        if (rv == CKR_OK || (flags & CKF_DONT_BLOCK)) break;
        // softcard-ctl (any process) replaces softcard.json; sleep until it does, without the lock.
        lk.unlock();
        watch->wait(finalized);
        lk.lock();
        if (epoch_ != epoch || !initialized_) {
            rv = CKR_CRYPTOKI_NOT_INITIALIZED;
            break;
        }
    }
    --waiters_;
    waiters_left_.notify_all();
    return rv;
}

}  // namespace sithsd::softcard
