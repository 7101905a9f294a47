// Slots, tokens, sessions and objects of TokenModule (signing: token_signing.cpp).
#include "browser-bridge/pkcs11-module/token_module.hpp"

#include <algorithm>
#include <cstring>

namespace sithsd::module {

namespace {

using namespace std::chrono_literals;
constexpr auto kRefreshInterval = 1s;
constexpr CK_OBJECT_HANDLE kObjectsPerSlot = 0x10000;

// PKCS#11's blank-padded, unterminated text fields (CK_UTF8CHAR and CK_CHAR alike).
template <std::size_t N>
void pad(unsigned char (&field)[N], std::string_view text) {
    std::size_t n = std::min(N, text.size());
    // Cut at a character's start, never inside a UTF-8 sequence ("Älvsdotter" in a label).
    while (n < text.size() && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    std::memset(field, ' ', N);
    std::memcpy(field, text.data(), n);
}

}  // namespace

CK_RV TokenModule::get_info(CK_INFO* info) const {
    if (!info) return CKR_ARGUMENTS_BAD;
    *info = {};
    info->cryptokiVersion = {2, 40};
    pad(info->manufacturerID, "sithsd");
    pad(info->libraryDescription, "sithsd SITHS-kort (legitimering)");
    info->libraryVersion = {1, 0};
    return CKR_OK;
}

void TokenModule::refresh(bool always) {
    std::optional<boost::json::array> cards;
    {
        std::lock_guard link(link_mutex_);
        const auto now = std::chrono::steady_clock::now();
        if (!always && last_refresh_ && now - *last_refresh_ < kRefreshInterval) return;
        cards = link_.cards();
        last_refresh_ = std::chrono::steady_clock::now();
    }
    std::lock_guard lock(state_);
    apply(cards);
}

void TokenModule::apply(const std::optional<boost::json::array>& cards) {
    std::vector<const boost::json::object*> inserted;
    if (cards)
        for (const auto& card : *cards)
            if (card.is_object() && card.as_object().contains("cardId"))
                inserted.push_back(&card.as_object());
    auto id_of = [](const boost::json::object* card) {
        return std::string(card->at("cardId").as_string());
    };
    // Cards that went away free their slot; their sessions end (CKR_SESSION_HANDLE_INVALID).
    for (std::size_t i = 0; i < kSlotCount; ++i) {
        Slot& slot = slots_[i];
        if (slot.card_id.empty()) continue;
        const bool still = std::any_of(inserted.begin(), inserted.end(),
                                       [&](auto* c) { return id_of(c) == slot.card_id; });
        if (still) continue;
        slot = Slot{};
        slot.event = true;
        drop_sessions(i);
    }
    for (const auto* card : inserted) {
        const std::string id = id_of(card);
        auto it = std::find_if(slots_.begin(), slots_.end(),
                               [&](const Slot& s) { return s.card_id == id; });
        const bool is_new = it == slots_.end();
        if (is_new)
            it = std::find_if(slots_.begin(), slots_.end(),
                              [](const Slot& s) { return s.card_id.empty(); });
        if (it == slots_.end()) continue;  // more cards than slots: the rest are not offered
        std::vector<TokenObject> objects;
        try {
            if (const auto* certs = card->if_contains("certificates"); certs && certs->is_array())
                for (const auto& cert : certs->as_array())
                    if (cert.is_object())
                        for (auto& o : objects_of(cert.as_object()))
                            objects.push_back(std::move(o));
        } catch (const std::exception&) {
            objects.clear();  // a malformed answer offers nothing rather than half a key
        }
        it->card_id = id;
        it->objects = std::move(objects);
        if (const auto* label = card->if_contains("label"); label && label->is_string())
            it->label = std::string(label->get_string());
        if (const auto* reader = card->if_contains("reader"); reader && reader->is_string())
            it->reader = std::string(reader->get_string());
        if (is_new) it->event = true;
    }
    if (std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.event; }))
        slot_event_.notify_all();
}

TokenModule::Slot* TokenModule::slot_of(CK_SLOT_ID id) {
    return id >= 1 && id <= kSlotCount ? &slots_[id - 1] : nullptr;
}

TokenModule::Session* TokenModule::session_of(CK_SESSION_HANDLE handle) {
    const auto found = sessions_.find(handle);
    return found == sessions_.end() ? nullptr : &found->second;
}

const TokenObject* TokenModule::object_of(const Session& session, CK_OBJECT_HANDLE handle) const {
    const CK_OBJECT_HANDLE base = (session.slot + 1) * kObjectsPerSlot;
    const auto& objects = slots_[session.slot].objects;
    if (handle <= base || handle > base + objects.size()) return nullptr;
    return &objects[handle - base - 1];
}

void TokenModule::drop_sessions(std::size_t slot) {
    std::erase_if(sessions_, [&](const auto& entry) { return entry.second.slot == slot; });
    slots_[slot].logged_in = false;
}

CK_RV TokenModule::slot_list(CK_BBOOL token_present, CK_SLOT_ID* list, CK_ULONG* count) {
    if (!count) return CKR_ARGUMENTS_BAD;
    refresh(true);
    std::lock_guard lock(state_);
    std::vector<CK_SLOT_ID> ids;
    for (std::size_t i = 0; i < kSlotCount; ++i)
        if (!token_present || !slots_[i].card_id.empty()) ids.push_back(i + 1);
    if (!list) {
        *count = ids.size();
        return CKR_OK;
    }
    if (*count < ids.size()) {
        *count = ids.size();
        return CKR_BUFFER_TOO_SMALL;
    }
    std::copy(ids.begin(), ids.end(), list);
    *count = ids.size();
    return CKR_OK;
}

CK_RV TokenModule::slot_info(CK_SLOT_ID id, CK_SLOT_INFO* info) {
    if (!info) return CKR_ARGUMENTS_BAD;
    refresh(false);
    std::lock_guard lock(state_);
    const Slot* slot = slot_of(id);
    if (!slot) return CKR_SLOT_ID_INVALID;
    *info = {};
    pad(info->slotDescription, "sithsd kortplats " + std::to_string(id));
    pad(info->manufacturerID, "sithsd");
    info->flags =
        CKF_REMOVABLE_DEVICE | CKF_HW_SLOT | (slot->card_id.empty() ? 0 : CKF_TOKEN_PRESENT);
    info->hardwareVersion = info->firmwareVersion = {1, 0};
    return CKR_OK;
}

CK_RV TokenModule::token_info(CK_SLOT_ID id, CK_TOKEN_INFO* info) {
    if (!info) return CKR_ARGUMENTS_BAD;
    refresh(false);
    std::lock_guard lock(state_);
    const Slot* slot = slot_of(id);
    if (!slot) return CKR_SLOT_ID_INVALID;
    if (slot->card_id.empty()) return CKR_TOKEN_NOT_PRESENT;
    *info = {};
    pad(info->label, slot->label.empty() ? "SITHS-kort" : slot->label);
    pad(info->manufacturerID, "sithsd");
    pad(info->model, "SITHS");
    pad(info->serialNumber, slot->card_id);
    // No CKF_LOGIN_REQUIRED: the browser never asks for a PIN nor calls C_Login; the daemon asks.
    info->flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED;
    info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
    info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
    std::size_t open = 0;
    for (const auto& [h, s] : sessions_) open += s.slot == id - 1;
    info->ulSessionCount = info->ulRwSessionCount = open;
    info->ulMaxPinLen = 8;
    info->ulMinPinLen = 4;
    for (auto* memory : {&info->ulTotalPublicMemory, &info->ulFreePublicMemory,
                         &info->ulTotalPrivateMemory, &info->ulFreePrivateMemory})
        *memory = CK_UNAVAILABLE_INFORMATION;
    info->hardwareVersion = info->firmwareVersion = {1, 0};
    return CKR_OK;
}

CK_RV TokenModule::wait_for_slot_event(CK_FLAGS flags, CK_SLOT_ID* slot) {
    if (!slot) return CKR_ARGUMENTS_BAD;
    for (;;) {
        refresh(false);
        std::unique_lock lock(state_);
        if (finalized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
        for (std::size_t i = 0; i < kSlotCount; ++i)
            if (slots_[i].event) {
                slots_[i].event = false;
                *slot = i + 1;
                return CKR_OK;
            }
        if (flags & CKF_DONT_BLOCK) return CKR_NO_EVENT;
        // Polls the daemon each second; C_Finalize wakes it at once.
        slot_event_.wait_for(lock, kRefreshInterval, [&] { return finalized_; });
    }
}

void TokenModule::finalize() {
    std::lock_guard lock(state_);
    finalized_ = true;
    sessions_.clear();
    slot_event_.notify_all();
}

CK_RV TokenModule::open_session(CK_SLOT_ID id, CK_FLAGS flags, CK_SESSION_HANDLE* handle) {
    if (!handle) return CKR_ARGUMENTS_BAD;
    if (!(flags & CKF_SERIAL_SESSION)) return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
    refresh(false);
    std::lock_guard lock(state_);
    const Slot* slot = slot_of(id);
    if (!slot) return CKR_SLOT_ID_INVALID;
    if (slot->card_id.empty()) return CKR_TOKEN_NOT_PRESENT;
    *handle = next_session_++;
    sessions_.emplace(*handle, Session{id - 1, flags, std::nullopt, std::nullopt});
    return CKR_OK;
}

CK_RV TokenModule::close_session(CK_SESSION_HANDLE handle) {
    std::lock_guard lock(state_);
    return sessions_.erase(handle) ? CKR_OK : CKR_SESSION_HANDLE_INVALID;
}

CK_RV TokenModule::close_all_sessions(CK_SLOT_ID id) {
    std::lock_guard lock(state_);
    if (!slot_of(id)) return CKR_SLOT_ID_INVALID;
    drop_sessions(id - 1);
    return CKR_OK;
}

CK_RV TokenModule::session_info(CK_SESSION_HANDLE handle, CK_SESSION_INFO* info) {
    if (!info) return CKR_ARGUMENTS_BAD;
    std::lock_guard lock(state_);
    const Session* session = session_of(handle);
    if (!session) return CKR_SESSION_HANDLE_INVALID;
    const bool rw = session->flags & CKF_RW_SESSION;
    const bool user = slots_[session->slot].logged_in;
    *info = {};
    info->slotID = session->slot + 1;
    info->flags = session->flags;
    info->state = user ? (rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS)
                       : (rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION);
    return CKR_OK;
}

CK_RV TokenModule::login(CK_SESSION_HANDLE handle, CK_USER_TYPE user) {
    // The token needs no login; a PIN given here is never read nor sent anywhere (sithsd asks
    // for the PIN itself at C_Sign). Accepted so that a caller that logs in anyway goes on.
    std::lock_guard lock(state_);
    const Session* session = session_of(handle);
    if (!session) return CKR_SESSION_HANDLE_INVALID;
    if (user != CKU_USER && user != CKU_CONTEXT_SPECIFIC) return CKR_USER_TYPE_INVALID;
    slots_[session->slot].logged_in = true;
    return CKR_OK;
}

CK_RV TokenModule::logout(CK_SESSION_HANDLE handle) {
    std::lock_guard lock(state_);
    const Session* session = session_of(handle);
    if (!session) return CKR_SESSION_HANDLE_INVALID;
    if (!slots_[session->slot].logged_in) return CKR_USER_NOT_LOGGED_IN;
    slots_[session->slot].logged_in = false;
    return CKR_OK;
}

CK_RV TokenModule::find_init(CK_SESSION_HANDLE handle, CK_ATTRIBUTE* templ, CK_ULONG count) {
    if (count && !templ) return CKR_ARGUMENTS_BAD;
    // An attribute with a NULL pValue and a length is the same fault one level down: no value
    // was given to be judged (so not CKR_ATTRIBUTE_VALUE_INVALID), the argument is unreadable
    // (PKCS#11 2.40 §5.1.6 CKR_ARGUMENTS_BAD). Comparing it once crashed the browser.
    if (!template_values_readable(templ, count)) return CKR_ARGUMENTS_BAD;
    std::lock_guard lock(state_);
    Session* session = session_of(handle);
    if (!session) return CKR_SESSION_HANDLE_INVALID;
    if (session->found) return CKR_OPERATION_ACTIVE;
    std::vector<CK_OBJECT_HANDLE> found;
    const auto& objects = slots_[session->slot].objects;
    for (std::size_t i = 0; i < objects.size(); ++i)
        if (objects[i].matches(templ, count))
            found.push_back((session->slot + 1) * kObjectsPerSlot + i + 1);
    std::reverse(found.begin(), found.end());  // handed out from the back
    session->found = std::move(found);
    return CKR_OK;
}

CK_RV TokenModule::find(CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE* out, CK_ULONG max,
                        CK_ULONG* count) {
    if (!out || !count) return CKR_ARGUMENTS_BAD;
    std::lock_guard lock(state_);
    Session* session = session_of(handle);
    if (!session) return CKR_SESSION_HANDLE_INVALID;
    if (!session->found) return CKR_OPERATION_NOT_INITIALIZED;
    auto& left = *session->found;
    *count = 0;
    while (*count < max && !left.empty()) {
        out[(*count)++] = left.back();
        left.pop_back();
    }
    return CKR_OK;
}

CK_RV TokenModule::find_final(CK_SESSION_HANDLE handle) {
    std::lock_guard lock(state_);
    Session* session = session_of(handle);
    if (!session) return CKR_SESSION_HANDLE_INVALID;
    if (!session->found) return CKR_OPERATION_NOT_INITIALIZED;
    session->found.reset();
    return CKR_OK;
}

CK_RV TokenModule::attribute_value(CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE object,
                                   CK_ATTRIBUTE* templ, CK_ULONG count) {
    if (count && !templ) return CKR_ARGUMENTS_BAD;
    std::lock_guard lock(state_);
    const Session* session = session_of(handle);
    if (!session) return CKR_SESSION_HANDLE_INVALID;
    const TokenObject* found = object_of(*session, object);
    if (!found) return CKR_OBJECT_HANDLE_INVALID;
    return found->read(templ, count);
}

}  // namespace sithsd::module
