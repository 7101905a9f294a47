// Module: sessions (open, close, their state after removal and reinsertion) and the objects a
// session sees (attributes, search).
#include <algorithm>
#include <cstring>

#include "ca-test/softcard/module.hpp"

namespace sithsd::softcard {

// ---- sessions ------------------------------------------------------------------------------

CK_RV Module::live_session(CK_SESSION_HANDLE h, Session*& s, Card*& card) {
    refresh();
    auto it = sessions_.find(h);
    if (it == sessions_.end()) return CKR_SESSION_HANDLE_INVALID;
    s = &it->second;
    card = &cards_[s->slot / 2];
    if (!card->inserted) return CKR_DEVICE_REMOVED;
    // The card was pulled and put back: this session belonged to the earlier insertion.
    if (card->generation != s->generation) return CKR_SESSION_HANDLE_INVALID;
    return CKR_OK;
}

CK_RV Module::open_session(CK_SLOT_ID slot, CK_FLAGS flags, CK_SESSION_HANDLE* h) {
    if (!h) return CKR_ARGUMENTS_BAD;
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    if (!(flags & CKF_SERIAL_SESSION)) return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
    Card* card = nullptr;
    if (CK_RV rv = present_card(slot, card); rv != CKR_OK) return rv;
    if (CK_RV rv = injected_fault(*card); rv != CKR_OK) return rv;
    const bool rw = flags & CKF_RW_SESSION;
    if (!rw && slots_[slot].login == Who::so) return CKR_SESSION_READ_WRITE_SO_EXISTS;
    Session s;
    s.slot = slot;
    s.rw = rw;
    s.generation = card->generation;
    *h = next_session_++;
    sessions_.emplace(*h, std::move(s));
    return CKR_OK;
}

void Module::logout_slot(CK_SLOT_ID slot) {
    slots_[slot].login = Who::nobody;
    for (auto& [h, s] : sessions_)
        if (s.slot == slot) s.signing.reset();
}

CK_RV Module::close_session(CK_SESSION_HANDLE h) {
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    refresh();
    auto it = sessions_.find(h);
    if (it == sessions_.end()) return CKR_SESSION_HANDLE_INVALID;
    const CK_SLOT_ID slot = it->second.slot;
    sessions_.erase(it);
    // Closing the token's last session logs it out (§5.6).
    const bool others = std::any_of(sessions_.begin(), sessions_.end(), [&](const auto& e) {
        return e.second.slot == slot && e.second.generation == cards_[slot / 2].generation;
    });
    if (!others) logout_slot(slot);
    return CKR_OK;
}

CK_RV Module::close_all_sessions(CK_SLOT_ID slot) {
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    if (!card_of_slot(slot)) return CKR_SLOT_ID_INVALID;
    std::erase_if(sessions_, [&](const auto& e) { return e.second.slot == slot; });
    logout_slot(slot);
    return CKR_OK;
}

CK_RV Module::get_session_info(CK_SESSION_HANDLE h, CK_SESSION_INFO* info) {
    if (!info) return CKR_ARGUMENTS_BAD;
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Session* s = nullptr;
    Card* card = nullptr;
    if (CK_RV rv = live_session(h, s, card); rv != CKR_OK) return rv;
    info->slotID = s->slot;
    info->flags = CKF_SERIAL_SESSION | (s->rw ? CKF_RW_SESSION : 0);
    info->ulDeviceError = 0;
    switch (slots_[s->slot].login) {
        case Who::nobody:
            info->state = s->rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
            break;
        case Who::user:
            info->state = s->rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
            break;
        case Who::so:
            info->state = CKS_RW_SO_FUNCTIONS;
            break;
    }
    return CKR_OK;
}

// ---- objects -------------------------------------------------------------------------------

const TokenObject* Module::visible_object(const Session& s, CK_OBJECT_HANDLE h) const {
    for (const TokenObject& o : cards_[s.slot / 2].objects[s.slot % 2]) {
        if (o.handle != h) continue;
        if (o.is_private && slots_[s.slot].login != Who::user) return nullptr;
        return &o;
    }
    return nullptr;
}

CK_RV Module::get_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE* templ,
                                  CK_ULONG count) {
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Session* s = nullptr;
    Card* card = nullptr;
    if (CK_RV rv = live_session(h, s, card); rv != CKR_OK) return rv;
    if (!templ && count) return CKR_ARGUMENTS_BAD;
    if (CK_RV rv = injected_fault(*card); rv != CKR_OK) return rv;
    const TokenObject* o = visible_object(*s, obj);
    if (!o) return CKR_OBJECT_HANDLE_INVALID;
    // Every attribute is answered; the result is the last problem met (§5.7 C_GetAttributeValue).
    CK_RV result = CKR_OK;
    for (CK_ULONG i = 0; i < count; ++i) {
        CK_ATTRIBUTE& a = templ[i];
        if (o->sensitive.count(a.type)) {
            a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
            result = CKR_ATTRIBUTE_SENSITIVE;
            continue;
        }
        auto it = o->attributes.find(a.type);
        if (it == o->attributes.end()) {
            a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
            result = CKR_ATTRIBUTE_TYPE_INVALID;
            continue;
        }
        const auto& value = it->second;
        if (!a.pValue) {
            a.ulValueLen = value.size();
        } else if (a.ulValueLen < value.size()) {
            a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
            result = CKR_BUFFER_TOO_SMALL;
        } else {
            if (!value.empty()) std::memcpy(a.pValue, value.data(), value.size());
            a.ulValueLen = value.size();
        }
    }
    return result;
}

CK_RV Module::find_objects_init(CK_SESSION_HANDLE h, CK_ATTRIBUTE* templ, CK_ULONG count) {
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Session* s = nullptr;
    Card* card = nullptr;
    if (CK_RV rv = live_session(h, s, card); rv != CKR_OK) return rv;
    if (!templ && count) return CKR_ARGUMENTS_BAD;
    // A NULL value with a length is refused as the browser module refuses it (PKCS#11 2.40
    // §5.1.6): a caller's bug found here, not a search that quietly matches nothing.
    for (CK_ULONG i = 0; i < count; ++i)
        if (!templ[i].pValue && templ[i].ulValueLen != 0) return CKR_ARGUMENTS_BAD;
    if (s->finding) return CKR_OPERATION_ACTIVE;
    if (CK_RV rv = injected_fault(*card); rv != CKR_OK) return rv;
    s->found.clear();
    s->found_pos = 0;
    for (const TokenObject& o : card->objects[s->slot % 2])
        if (visible_object(*s, o.handle) && matches(o, templ, count)) s->found.push_back(o.handle);
    s->finding = true;
    return CKR_OK;
}

CK_RV Module::find_objects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE* out, CK_ULONG max,
                           CK_ULONG* count) {
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Session* s = nullptr;
    Card* card = nullptr;
    if (CK_RV rv = live_session(h, s, card); rv != CKR_OK) return rv;
    if (!count || (!out && max)) return CKR_ARGUMENTS_BAD;
    if (!s->finding) return CKR_OPERATION_NOT_INITIALIZED;
    CK_ULONG n = 0;
    while (n < max && s->found_pos < s->found.size()) out[n++] = s->found[s->found_pos++];
    *count = n;
    return CKR_OK;
}

CK_RV Module::find_objects_final(CK_SESSION_HANDLE h) {
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Session* s = nullptr;
    Card* card = nullptr;
    if (CK_RV rv = live_session(h, s, card); rv != CKR_OK) return rv;
    if (!s->finding) return CKR_OPERATION_NOT_INITIALIZED;
    s->finding = false;
    s->found.clear();
    return CKR_OK;
}

}  // namespace sithsd::softcard
