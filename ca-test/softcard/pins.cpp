// Module: logins and PINs (retry counters, PIN pad, PUK) and the faults softcard-ctl injects.
#include <openssl/crypto.h>

#include <chrono>
#include <thread>

#include "ca-test/softcard/card_rules.hpp"
#include "ca-test/softcard/module.hpp"

namespace sithsd::softcard {

// ---- faults --------------------------------------------------------------------------------

CK_RV Module::injected_fault(Card& card) {
    if (store_->read(card.config).fail_next <= 0) return CKR_OK;  // the usual case: no lock
    bool fail = false;
    store_->update(card.config, [&](CardState& st) {
        if (st.fail_next <= 0) return false;
        --st.fail_next;
        fail = true;
        return true;
    });
    return fail ? CKR_DEVICE_ERROR : CKR_OK;
}

void Module::injected_delay(CK_SESSION_HANDLE h) {
    int ms = 0;
    {
        Lock lk(mutex_);
        if (!initialized_) return;
        Session* s = nullptr;
        Card* card = nullptr;
        if (live_session(h, s, card) != CKR_OK) return;  // the call itself will say why
        ms = store_->read(card->config).delay_ms;
    }
    // A slow card keeps only its own caller waiting.
    if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// ---- PINs ----------------------------------------------------------------------------------

CK_RV Module::verify_pin(Card& card, CK_SLOT_ID slot, bool puk, const CK_UTF8CHAR* pin,
                         CK_ULONG len) {
    const bool from_pad = pin == nullptr;
    if (from_pad && !card.config.pin_pad) return CKR_ARGUMENTS_BAD;
    CK_RV rv = CKR_OK;
    // Under the state file's lock: another process may be trying a PIN of this card right now.
    store_->update(card.config, [&](CardState& st) {
        PinState& p = pin_of(st, slot, puk);
        if (p.tries_left <= 0) {
            rv = CKR_PIN_LOCKED;  // a blocked PIN is not even compared
            return false;
        }
        bool right = false;
        if (from_pad) {
            switch (st.pin_pad) {
                case PinPadMode::ok:
                    right = true;
                    break;
                case PinPadMode::wrong:
                    right = false;
                    break;
                case PinPadMode::cancel:
                    rv = CKR_FUNCTION_CANCELED;
                    return false;
            }
        } else {
            right = len == p.pin.size() && CRYPTO_memcmp(pin, p.pin.data(), len) == 0;
        }
        if (right) {
            if (p.tries_left == p.max_tries) return false;
            p.tries_left = p.max_tries;
            return true;
        }
        --p.tries_left;
        rv = CKR_PIN_INCORRECT;
        return true;
    });
    return rv;
}

CK_RV Module::login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR* pin, CK_ULONG len) {
    injected_delay(h);
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Session* s = nullptr;
    Card* card = nullptr;
    if (CK_RV rv = live_session(h, s, card); rv != CKR_OK) return rv;
    if (user != CKU_SO && user != CKU_USER && user != CKU_CONTEXT_SPECIFIC)
        return CKR_USER_TYPE_INVALID;
    if (CK_RV rv = injected_fault(*card); rv != CKR_OK) return rv;
    Slot& slot = slots_[s->slot];
    if (user == CKU_CONTEXT_SPECIFIC) {
        if (!s->signing || !s->signing->always_authenticate) return CKR_OPERATION_NOT_INITIALIZED;
        if (slot.login != Who::user) return CKR_USER_NOT_LOGGED_IN;
        CK_RV rv = verify_pin(*card, s->slot, false, pin, len);
        if (rv == CKR_OK) s->signing->context_login_done = true;
        return rv;
    }
    const Who who = user == CKU_SO ? Who::so : Who::user;
    if (slot.login == who) return CKR_USER_ALREADY_LOGGED_IN;
    if (slot.login != Who::nobody) return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
    if (who == Who::so) {
        for (const auto& [sh, other] : sessions_)
            if (other.slot == s->slot && other.generation == card->generation && !other.rw)
                return CKR_SESSION_READ_ONLY_EXISTS;
    }
    CK_RV rv = verify_pin(*card, s->slot, who == Who::so, pin, len);
    if (rv == CKR_OK) slot.login = who;
    return rv;
}

CK_RV Module::logout(CK_SESSION_HANDLE h) {
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Session* s = nullptr;
    Card* card = nullptr;
    if (CK_RV rv = live_session(h, s, card); rv != CKR_OK) return rv;
    if (slots_[s->slot].login == Who::nobody) return CKR_USER_NOT_LOGGED_IN;
    logout_slot(s->slot);
    return CKR_OK;
}

CK_RV Module::init_pin(CK_SESSION_HANDLE h, CK_UTF8CHAR* pin, CK_ULONG len) {
    injected_delay(h);
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Session* s = nullptr;
    Card* card = nullptr;
    if (CK_RV rv = live_session(h, s, card); rv != CKR_OK) return rv;
    if (CK_RV rv = injected_fault(*card); rv != CKR_OK) return rv;
    if (slots_[s->slot].login != Who::so) return CKR_USER_NOT_LOGGED_IN;
    if (!pin) return CKR_ARGUMENTS_BAD;
    if (len < kMinPinLen || len > kMaxPinLen) return CKR_PIN_LEN_RANGE;
    // The PUK unblocks: a new PIN with a full retry counter.
    store_->update(card->config, [&](CardState& st) {
        PinState& p = pin_of(st, s->slot, false);
        p.pin.assign(reinterpret_cast<const char*>(pin), len);
        p.tries_left = p.max_tries;
        return true;
    });
    return CKR_OK;
}

CK_RV Module::set_pin(CK_SESSION_HANDLE h, CK_UTF8CHAR* old_pin, CK_ULONG old_len,
                      CK_UTF8CHAR* new_pin, CK_ULONG new_len) {
    injected_delay(h);
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Session* s = nullptr;
    Card* card = nullptr;
    if (CK_RV rv = live_session(h, s, card); rv != CKR_OK) return rv;
    if (CK_RV rv = injected_fault(*card); rv != CKR_OK) return rv;
    if (!s->rw) return CKR_SESSION_READ_ONLY;
    if (!old_pin || !new_pin) return CKR_ARGUMENTS_BAD;
    if (new_len < kMinPinLen || new_len > kMaxPinLen) return CKR_PIN_LEN_RANGE;
    const bool puk = slots_[s->slot].login == Who::so;  // the SO changes the PUK (§5.6 C_SetPIN)
    if (CK_RV rv = verify_pin(*card, s->slot, puk, old_pin, old_len); rv != CKR_OK) return rv;
    store_->update(card->config, [&](CardState& st) {
        PinState& p = pin_of(st, s->slot, puk);
        p.pin.assign(reinterpret_cast<const char*>(new_pin), new_len);
        p.tries_left = p.max_tries;
        return true;
    });
    return CKR_OK;
}

}  // namespace sithsd::softcard
