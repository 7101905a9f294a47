// Module: signatures (C_SignInit, C_Sign, C_SignUpdate, C_SignFinal), removal during a
// signature, and C_GenerateRandom.
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "ca-test/softcard/card_rules.hpp"
#include "ca-test/softcard/module.hpp"

namespace sithsd::softcard {

// ---- signatures ----------------------------------------------------------------------------

CK_RV Module::sign_init(CK_SESSION_HANDLE h, CK_MECHANISM* mechanism, CK_OBJECT_HANDLE key) {
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Session* s = nullptr;
    Card* card = nullptr;
    if (CK_RV rv = live_session(h, s, card); rv != CKR_OK) return rv;
    if (!mechanism) return CKR_ARGUMENTS_BAD;
    if (s->signing) return CKR_OPERATION_ACTIVE;
    if (CK_RV rv = injected_fault(*card); rv != CKR_OK) return rv;
    const TokenObject* o = nullptr;
    for (const TokenObject& t : card->objects[s->slot % 2])
        if (t.handle == key) o = &t;
    if (!o || o->object_class == CKO_CERTIFICATE) return CKR_KEY_HANDLE_INVALID;
    if (o->object_class != CKO_PRIVATE_KEY) return CKR_KEY_FUNCTION_NOT_PERMITTED;
    if (slots_[s->slot].login != Who::user) return CKR_USER_NOT_LOGGED_IN;
    const auto mechanisms = mechanisms_for(card->key_kind);
    if (std::find(mechanisms.begin(), mechanisms.end(), mechanism->mechanism) == mechanisms.end())
        return CKR_MECHANISM_INVALID;
    SignState st;
    if (CK_RV rv = SignOperation::start(*mechanism, o->key, st.op); rv != CKR_OK) return rv;
    st.always_authenticate = o->always_authenticate;
    s->signing = std::move(st);
    return CKR_OK;
}

CK_RV Module::finish_sign(Session& s, Card& card, CK_BYTE* sig, CK_ULONG* sig_len) {
    const size_t len = s.signing->op->signature_length();
    if (!sig) {
        *sig_len = len;
        return CKR_OK;
    }
    if (*sig_len < len) {
        *sig_len = len;
        return CKR_BUFFER_TOO_SMALL;
    }
    if (store_->read(card.config).remove_during_sign) {
        // The card is pulled while it computes: no signature, and the card is gone.
        store_->update(card.config, [](CardState& st) {
            st.remove_during_sign = false;
            return true;
        });
        store_->set_inserted(card.entry.name, false);
        s.signing.reset();
        refresh();
        return CKR_DEVICE_REMOVED;
    }
    std::vector<std::uint8_t> out;
    CK_RV rv = s.signing->op->finish(out);
    s.signing.reset();
    if (rv != CKR_OK) return rv;
    std::memcpy(sig, out.data(), out.size());
    *sig_len = out.size();
    return CKR_OK;
}

CK_RV Module::sign(CK_SESSION_HANDLE h, CK_BYTE* data, CK_ULONG len, CK_BYTE* sig,
                   CK_ULONG* sig_len) {
    if (sig) injected_delay(h);
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Session* s = nullptr;
    Card* card = nullptr;
    if (CK_RV rv = live_session(h, s, card); rv != CKR_OK) return rv;
    if (!s->signing) return CKR_OPERATION_NOT_INITIALIZED;
    if (s->signing->updated) return CKR_OPERATION_ACTIVE;  // C_SignUpdate began a multi-part one
    // From here on every error ends the operation (§5.11), CKR_BUFFER_TOO_SMALL and a length
    // query excepted.
    if (!sig_len || (!data && len)) {
        s->signing.reset();
        return CKR_ARGUMENTS_BAD;
    }
    if (CK_RV rv = injected_fault(*card); rv != CKR_OK) {
        s->signing.reset();
        return rv;
    }
    // An always-authenticate key needs C_Login(CKU_CONTEXT_SPECIFIC) between C_SignInit and
    // C_Sign; without it the operation ends, as SoftHSM2 does.
    if ((s->signing->always_authenticate && !s->signing->context_login_done) ||
        slots_[s->slot].login != Who::user) {
        s->signing.reset();
        return CKR_USER_NOT_LOGGED_IN;
    }
    if (sig && *sig_len >= s->signing->op->signature_length() && len)
        s->signing->op->update(data, len);
    return finish_sign(*s, *card, sig, sig_len);
}

CK_RV Module::sign_update(CK_SESSION_HANDLE h, CK_BYTE* data, CK_ULONG len) {
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Session* s = nullptr;
    Card* card = nullptr;
    if (CK_RV rv = live_session(h, s, card); rv != CKR_OK) return rv;
    if (!s->signing) return CKR_OPERATION_NOT_INITIALIZED;
    CK_RV rv = CKR_OK;
    if (!data && len)
        rv = CKR_ARGUMENTS_BAD;
    else if (CK_RV fault = injected_fault(*card); fault != CKR_OK)
        rv = fault;
    else if ((s->signing->always_authenticate && !s->signing->context_login_done) ||
             slots_[s->slot].login != Who::user)
        rv = CKR_USER_NOT_LOGGED_IN;
    else if (!s->signing->op->multipart())
        rv = CKR_MECHANISM_INVALID;  // CKM_RSA_PKCS, CKM_RSA_PKCS_PSS, CKM_ECDSA: single-part
    if (rv != CKR_OK) {
        s->signing.reset();
        return rv;
    }
    s->signing->updated = true;
    if (len) s->signing->op->update(data, len);
    return CKR_OK;
}

CK_RV Module::sign_final(CK_SESSION_HANDLE h, CK_BYTE* sig, CK_ULONG* sig_len) {
    if (sig) injected_delay(h);
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Session* s = nullptr;
    Card* card = nullptr;
    if (CK_RV rv = live_session(h, s, card); rv != CKR_OK) return rv;
    if (!s->signing) return CKR_OPERATION_NOT_INITIALIZED;
    CK_RV rv = CKR_OK;
    if (!sig_len)
        rv = CKR_ARGUMENTS_BAD;
    else if (CK_RV fault = injected_fault(*card); fault != CKR_OK)
        rv = fault;
    else if ((s->signing->always_authenticate && !s->signing->context_login_done) ||
             slots_[s->slot].login != Who::user)
        rv = CKR_USER_NOT_LOGGED_IN;
    else if (!s->signing->op->multipart())
        rv = CKR_MECHANISM_INVALID;
    if (rv != CKR_OK) {
        s->signing.reset();
        return rv;
    }
    return finish_sign(*s, *card, sig, sig_len);
}

CK_RV Module::generate_random(CK_SESSION_HANDLE h, CK_BYTE* out, CK_ULONG len) {
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Session* s = nullptr;
    Card* card = nullptr;
    if (CK_RV rv = live_session(h, s, card); rv != CKR_OK) return rv;
    if (!out && len) return CKR_ARGUMENTS_BAD;
    if (len && RAND_bytes(out, static_cast<int>(len)) != 1) return CKR_FUNCTION_FAILED;
    return CKR_OK;
}

}  // namespace sithsd::softcard
