#include "pkcs11/card_set.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "common/digest.hpp"
#include "pkcs11/certificate.hpp"
#include "pkcs11/p11.hpp"
#include "pkcs11/signature.hpp"

namespace sithsd::pkcs11 {

// One slot of a card, as enumeration found it.
struct SlotState {
    std::shared_ptr<Module> module;
    CK_SLOT_ID slot = 0;
    std::string label, description;
    bool pin_pad = false;
    bool holds_signing = false;         // a nonRepudiation certificate is here
    bool holds_identification = false;  // a digitalSignature-only certificate is here
};

// Where a certificate's key lives.
struct KeyLocation {
    std::size_t slot_index = 0;
    std::vector<std::uint8_t> cka_id;
    Purpose purpose = Purpose::identification;
};

// What enumeration found on a card; replaced whole by refresh(), never changed in place, so an
// operation can keep using the layout it started with.
struct CardLayout {
    CardInfo info;
    std::vector<SlotState> slots;
    std::map<std::string, KeyLocation> keys;  // certificate_id -> key
    std::optional<std::size_t> identification_slot, signing_slot;
};

// A card while it stays inserted.
struct CardState {
    std::shared_ptr<const CardLayout> layout;  // guarded by CardSet::mutex_
    std::mutex operation;                      // one operation on this card at a time
    std::unique_ptr<p11::Session> kept_login;  // identification PIN cache; guarded by operation
};

namespace {

bool label_says_signing(std::string label) {
    std::transform(label.begin(), label.end(), label.begin(), ::tolower);
    for (const char* word : {"underskrift", "signature", "signing", "sign"})
        if (label.find(word) != std::string::npos) return true;
    return false;
}

std::vector<CK_SLOT_ID> slots_with_tokens(CK_FUNCTION_LIST* f) {
    CK_ULONG count = 0;
    check(f->C_GetSlotList(CK_TRUE, nullptr, &count), "C_GetSlotList");
    std::vector<CK_SLOT_ID> slots(count);
    if (count) check(f->C_GetSlotList(CK_TRUE, slots.data(), &count), "C_GetSlotList");
    slots.resize(count);
    return slots;
}

// One slot read: token and certificates. Appends the slot's certificates to certs.
struct ReadSlot {
    SlotState state;
    std::string serial;
    std::vector<std::pair<CardCertificate, std::vector<std::uint8_t>>> certificates;  // + CKA_ID
    std::vector<std::vector<std::uint8_t>> authorities;  // CA certificates
};

ReadSlot read_slot(const std::shared_ptr<Module>& module, CK_SLOT_ID slot) {
    CK_FUNCTION_LIST* f = module->functions();
    ReadSlot out;
    out.state.module = module;
    out.state.slot = slot;
    CK_SLOT_INFO slot_info{};
    check(f->C_GetSlotInfo(slot, &slot_info), "C_GetSlotInfo");
    out.state.description =
        p11::trimmed(slot_info.slotDescription, sizeof slot_info.slotDescription);
    CK_TOKEN_INFO token = p11::token_info(f, slot);
    out.state.label = p11::trimmed(token.label, sizeof token.label);
    out.serial = p11::trimmed(token.serialNumber, sizeof token.serialNumber);
    out.state.pin_pad = token.flags & CKF_PROTECTED_AUTHENTICATION_PATH;

    p11::Session session(f, slot);
    for (CK_OBJECT_HANDLE object : session.find(CKO_CERTIFICATE)) {
        auto der = session.bytes(object, CKA_VALUE);
        if (!der || der->empty()) continue;
        CardCertificate cert;
        try {
            cert.info = parse_certificate(*der);
        } catch (const std::invalid_argument&) {
            continue;  // not a certificate we can read: never offered
        }
        if (cert.info.is_ca) out.authorities.push_back(cert.info.der);
        if (!cert.info.purpose) continue;  // neither identification nor signature: never offered
        cert.cka_id = session.bytes(object, CKA_ID).value_or(std::vector<std::uint8_t>{});
        // Private keys are usually CKA_PRIVATE (visible after login only); a public key or a
        // visible private key with the same CKA_ID tells that the card holds the key.
        cert.has_private_key = !session.find(CKO_PRIVATE_KEY, &cert.cka_id).empty() ||
                               !session.find(CKO_PUBLIC_KEY, &cert.cka_id).empty();
        if (*cert.info.purpose == Purpose::signing)
            out.state.holds_signing = true;
        else
            out.state.holds_identification = true;
        out.certificates.emplace_back(std::move(cert), std::vector<std::uint8_t>{});
    }
    return out;
}

PinInfo pin_info_of(const CK_TOKEN_INFO& token) {
    auto length = [](CK_ULONG n) {
        return n == CK_UNAVAILABLE_INFORMATION || n > 1024 ? std::size_t{0} : std::size_t{n};
    };
    return PinInfo{p11::pin_status(token), (token.flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0,
                   length(token.ulMinPinLen), length(token.ulMaxPinLen)};
}

PinInfo read_pin_info(const SlotState& slot) {
    try {
        return pin_info_of(p11::token_info(slot.module->functions(), slot.slot));
    } catch (const CardError&) {
        return PinInfo{PinStatus::unknown, slot.pin_pad};
    }
}

}  // namespace

CardSet::CardSet(std::vector<std::shared_ptr<Module>> modules) : modules_(std::move(modules)) {}

CardSet::~CardSet() {
    std::lock_guard lock(mutex_);
    for (auto& [id, state] : cards_) {
        std::lock_guard op(state->operation);
        state->kept_login.reset();
    }
}

bool CardSet::refresh() {
    // Group slots into cards: same token serial in one module, or the same reader.
    std::map<std::string, std::vector<ReadSlot>> groups;
    std::vector<std::pair<const Module*, CK_SLOT_ID>> unreadable;
    std::vector<std::string> order;
    for (const auto& module : modules_) {
        std::vector<CK_SLOT_ID> slots;
        try {
            slots = slots_with_tokens(module->functions());
        } catch (const CardError&) {
            continue;  // a module that cannot list its slots now shows no cards
        }
        for (CK_SLOT_ID slot : slots) {
            ReadSlot read;
            try {
                read = read_slot(module, slot);
            } catch (const CardError& e) {
                // Removed while we read it: the next event refreshes again. Any other failure
                // (SoftHSM2 answers CKR_GENERAL_ERROR to a search now and then while another
                // session signs) keeps the card as it was, rather than pulling it from under a
                // running operation; CKR_TOKEN_NOT_RECOGNIZED is a slot without a usable token.
                if (e.reason() != CardErrorReason::card_removed &&
                    e.ckr() != CKR_TOKEN_NOT_RECOGNIZED)
                    unreadable.emplace_back(module.get(), slot);
                continue;
            }
            std::string key = module->path() + "\n" +
                              (read.serial.empty() ? "reader:" + read.state.description
                                                   : "serial:" + read.serial);
            if (!groups.count(key)) order.push_back(key);
            groups[key].push_back(std::move(read));
        }
    }

    std::map<std::string, std::shared_ptr<CardLayout>> found;
    for (const auto& key : order) {
        auto& reads = groups[key];
        auto layout = std::make_shared<CardLayout>();
        CardInfo& info = layout->info;
        info.card_id = "c-" + sha256_hex(key, 8);
        info.module = reads.front().state.module->path();
        info.reader = reads.front().state.description;
        for (std::size_t i = 0; i < reads.size(); ++i) {
            SlotState& slot = reads[i].state;
            bool signing = slot.holds_signing ||
                           (!slot.holds_identification && label_says_signing(slot.label));
            bool identification = slot.holds_identification || !signing;
            // A one-slot card carries both keys behind one PIN.
            if (signing && !layout->signing_slot) layout->signing_slot = i;
            if (identification && !layout->identification_slot) layout->identification_slot = i;
            for (auto& [cert, unused] : reads[i].certificates) {
                cert.card_id = info.card_id;
                // Scoped to the card: the same certificate on two tokens (a copy in SoftHSM2 and
                // the card, say) is two keys behind two PINs, and must never be confused.
                cert.info.certificate_id = sha256_hex(
                    info.card_id + std::string(cert.info.der.begin(), cert.info.der.end()), 16);
                layout->keys[cert.info.certificate_id] =
                    KeyLocation{i, cert.cka_id, *cert.info.purpose};
                info.certificates.push_back(std::move(cert));
            }
            for (auto& authority : reads[i].authorities)
                if (std::find(info.authority_certificates.begin(),
                              info.authority_certificates.end(),
                              authority) == info.authority_certificates.end())
                    info.authority_certificates.push_back(std::move(authority));
            layout->slots.push_back(std::move(slot));
        }
        if (layout->identification_slot) {
            const SlotState& slot = layout->slots[*layout->identification_slot];
            info.label = slot.label;
            info.identification = read_pin_info(slot);
        } else {
            info.label = layout->slots.front().label;
        }
        // No signing slot, or one without a signature certificate: the card cannot sign.
        bool has_signature = std::any_of(
            info.certificates.begin(), info.certificates.end(),
            [](const CardCertificate& c) { return c.info.purpose == Purpose::signing; });
        if (layout->signing_slot && has_signature)
            info.signing = read_pin_info(layout->slots[*layout->signing_slot]);
        else
            layout->signing_slot.reset();
        found[info.card_id] = std::move(layout);
    }

    auto status = [](const std::optional<PinInfo>& pin) {
        return pin ? pin->status : PinStatus::unknown;
    };
    std::vector<std::shared_ptr<CardState>> gone;
    bool changed = false;
    {
        std::lock_guard lock(mutex_);
        std::map<std::string, std::shared_ptr<CardState>> next;
        // A card with a slot that could not be read this time stays as it was.
        for (const auto& [id, state] : cards_) {
            if (found.count(id)) continue;
            for (const auto& slot : state->layout->slots)
                if (std::count(unreadable.begin(), unreadable.end(),
                               std::pair{static_cast<const Module*>(slot.module.get()), slot.slot}))
                    next[id] = state;
        }
        for (auto& [id, layout] : found) {
            auto old = cards_.find(id);
            std::shared_ptr<CardState> state;
            if (old == cards_.end()) {
                state = std::make_shared<CardState>();
                changed = true;
            } else {
                // The same card still inserted: it keeps its operation lock and kept login.
                state = old->second;
                const CardInfo& before = state->layout->info;
                changed = changed ||
                          before.certificates.size() != layout->info.certificates.size() ||
                          status(before.identification) != status(layout->info.identification) ||
                          status(before.signing) != status(layout->info.signing);
            }
            state->layout = std::move(layout);
            next[id] = std::move(state);
        }
        for (auto& [id, state] : cards_)
            if (!next.count(id)) gone.push_back(state);
        changed = changed || !gone.empty();
        cards_ = std::move(next);
    }
    // Cards that went away: drop their kept logins (their sessions died with the card).
    for (auto& state : gone) {
        std::lock_guard op(state->operation);
        state->kept_login.reset();
    }
    return changed;
}

std::vector<CardInfo> CardSet::cards() const {
    std::lock_guard lock(mutex_);
    std::vector<CardInfo> out;
    for (const auto& [id, state] : cards_) out.push_back(state->layout->info);
    return out;
}

std::optional<CardCertificate> CardSet::certificate(const std::string& certificate_id) const {
    std::lock_guard lock(mutex_);
    for (const auto& [id, state] : cards_)
        for (const auto& cert : state->layout->info.certificates)
            if (cert.info.certificate_id == certificate_id) return cert;
    return std::nullopt;
}

std::pair<std::shared_ptr<CardState>, std::shared_ptr<const CardLayout>> CardSet::card(
    const std::string& card_id) const {
    std::lock_guard lock(mutex_);
    auto it = cards_.find(card_id);
    if (it == cards_.end()) throw CardError(CardErrorReason::no_card, "no such card: " + card_id);
    return {it->second, it->second->layout};
}

std::pair<std::shared_ptr<CardState>, std::shared_ptr<const CardLayout>>
CardSet::card_of_certificate(const std::string& certificate_id) const {
    std::lock_guard lock(mutex_);
    for (const auto& [id, state] : cards_)
        if (state->layout->keys.count(certificate_id)) return {state, state->layout};
    throw CardError(CardErrorReason::certificate_not_found,
                    "no inserted card holds certificate " + certificate_id);
}

namespace {

const SlotState& slot_for(const CardLayout& card, PinKind kind) {
    const auto& index =
        kind == PinKind::identification ? card.identification_slot : card.signing_slot;
    if (!index)
        throw CardError(CardErrorReason::certificate_not_found,
                        kind == PinKind::signing ? "the card has no signature key"
                                                 : "the card has no identification key");
    return card.slots[*index];
}

// The PIN state read from the token now; a token that cannot answer is an error (not "unknown").
PinInfo current_pin_info(const SlotState& slot) {
    return pin_info_of(p11::token_info(slot.module->functions(), slot.slot));
}

// Refreshes the PIN state from the token and refuses a locked PIN before any login.
PinInfo refuse_if_locked(const SlotState& slot) {
    PinInfo info = current_pin_info(slot);
    if (info.status == PinStatus::locked) {
        CardError error(CardErrorReason::pin_locked, "the PIN is blocked; no login was attempted");
        error.pin_status = PinStatus::locked;
        throw error;
    }
    return info;
}

// C_Login(CKU_USER) after logging out whatever login the token still had, so that an old login can
// never make a wrong PIN look right. A wrong PIN reports the status after the attempt.
std::unique_ptr<p11::Login> login_user(p11::Session& session, const SlotState& slot,
                                       const Secret& pin, bool pin_pad) {
    session.f()->C_Logout(session.handle());  // CKR_USER_NOT_LOGGED_IN is the usual answer
    try {
        return std::make_unique<p11::Login>(session, CKU_USER, &pin, pin_pad);
    } catch (CardError& error) {
        if (error.reason() == CardErrorReason::pin_incorrect ||
            error.reason() == CardErrorReason::pin_locked)
            error.pin_status = read_pin_info(slot).status;
        throw;
    }
}

}  // namespace

PinInfo CardSet::pin_info(const std::string& card_id, PinKind kind) {
    auto [state, layout] = card(card_id);
    return current_pin_info(slot_for(*layout, kind));
}

std::vector<std::uint8_t> CardSet::sign(const SignatureRequest& req, const Secret& pin,
                                        bool keep_logged_in) {
    auto [state, layout] = card_of_certificate(req.certificate_id);
    std::lock_guard op(state->operation);
    const KeyLocation& key = layout->keys.at(req.certificate_id);
    const PinKind kind =
        key.purpose == Purpose::signing ? PinKind::signing : PinKind::identification;
    const SlotState& slot = slot_for(*layout, kind);
    const PinInfo pin_state = refuse_if_locked(slot);
    // A fresh login always: drop a kept one on this card first.
    state->kept_login.reset();

    auto session = std::make_unique<p11::Session>(slot.module->functions(), slot.slot);
    auto login = login_user(*session, slot, pin, pin_state.pin_pad);
    auto signature = sign_on_session(*session, req, key.cka_id, &pin, pin_state.pin_pad);
    if (keep_logged_in && kind == PinKind::identification) {
        login->release();  // logged out by forget_login() or when the card goes away
        state->kept_login = std::move(session);
    }
    return signature;
}

std::optional<std::vector<std::uint8_t>> CardSet::sign_with_cached_login(
    const SignatureRequest& req) {
    auto [state, layout] = card_of_certificate(req.certificate_id);
    std::lock_guard op(state->operation);
    const KeyLocation& key = layout->keys.at(req.certificate_id);
    if (!state->kept_login || key.purpose != Purpose::identification) return std::nullopt;
    try {
        return sign_on_session(*state->kept_login, req, key.cka_id, nullptr, false);
    } catch (const CardError& error) {
        state->kept_login.reset();
        // The token forgot the login (logged out, or removed and re-inserted so quickly that no
        // refresh saw it): the caller asks for the PIN.
        if (error.ckr() == CKR_USER_NOT_LOGGED_IN ||
            error.reason() == CardErrorReason::card_removed)
            return std::nullopt;
        throw;
    }
}

void CardSet::forget_login(const std::string& card_id) {
    std::shared_ptr<CardState> state;
    try {
        state = card(card_id).first;
    } catch (const CardError&) {
        return;
    }
    std::lock_guard op(state->operation);
    if (state->kept_login) {
        state->kept_login->f()->C_Logout(state->kept_login->handle());
        state->kept_login.reset();
    }
}

void CardSet::change_pin(const std::string& card_id, PinKind kind, const Secret& old_pin,
                         const Secret& new_pin) {
    auto [state, layout] = card(card_id);
    std::lock_guard op(state->operation);
    const SlotState& slot = slot_for(*layout, kind);
    const PinInfo pin_state = refuse_if_locked(slot);
    state->kept_login.reset();
    p11::Session session(slot.module->functions(), slot.slot, /*read_write=*/true);
    // C_SetPIN works on the user of the session: log in first, like a card's own PIN change.
    auto login = login_user(session, slot, old_pin, pin_state.pin_pad);
    bool pad = pin_state.pin_pad && old_pin.empty();
    CK_RV rv = session.f()->C_SetPIN(
        session.handle(), pad ? nullptr : const_cast<CK_UTF8CHAR_PTR>(old_pin.data()),
        pad ? 0 : old_pin.size(), pad ? nullptr : const_cast<CK_UTF8CHAR_PTR>(new_pin.data()),
        pad ? 0 : new_pin.size());
    try {
        check(rv, "C_SetPIN");
    } catch (CardError& error) {
        if (error.reason() == CardErrorReason::pin_incorrect)
            error.pin_status = read_pin_info(slot).status;
        throw;
    }
}

void CardSet::unblock_pin(const std::string& card_id, PinKind kind, const Secret& puk,
                          const Secret& new_pin) {
    auto [state, layout] = card(card_id);
    std::lock_guard op(state->operation);
    const SlotState& slot = slot_for(*layout, kind);
    state->kept_login.reset();
    p11::Session session(slot.module->functions(), slot.slot, /*read_write=*/true);
    session.f()->C_Logout(session.handle());
    p11::Login so(session, CKU_SO, &puk, slot.pin_pad);
    check(session.f()->C_InitPIN(session.handle(), const_cast<CK_UTF8CHAR_PTR>(new_pin.data()),
                                 new_pin.size()),
          "C_InitPIN");
}

}  // namespace sithsd::pkcs11
