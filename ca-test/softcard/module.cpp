// Module: the library (C_Initialize, C_Finalize), slots, tokens and mechanisms, and the view of
// softcard.json (refresh). Sessions and objects: sessions.cpp; PINs and faults: pins.cpp;
// signatures: signing.cpp; C_WaitForSlotEvent: slot_events.cpp.
#include "ca-test/softcard/module.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>

#include "ca-test/softcard/card_rules.hpp"
#include "ca-test/softcard/conf_watch.hpp"

namespace sithsd::softcard {
namespace {

// PKCS#11's two-call convention for lists (§5.2): no buffer asks for the count; a short one gets
// CKR_BUFFER_TOO_SMALL and the count.
template <class T>
CK_RV copy_out(const std::vector<T>& items, T* list, CK_ULONG* count) {
    if (list && *count < items.size()) {
        *count = items.size();
        return CKR_BUFFER_TOO_SMALL;
    }
    if (list) std::copy(items.begin(), items.end(), list);
    *count = items.size();
    return CKR_OK;
}

// Blank-padded fixed-width PKCS#11 text fields (truncated if too long).
template <size_t N>
void pad(unsigned char (&field)[N], const std::string& text) {
    std::memset(field, ' ', N);
    std::memcpy(field, text.data(), std::min(N, text.size()));
}

bool same_file_version(const struct ::stat& a, const struct ::stat& b) {
    return a.st_ino == b.st_ino && a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
           a.st_mtim.tv_nsec == b.st_mtim.tv_nsec && a.st_ctim.tv_sec == b.st_ctim.tv_sec &&
           a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

CK_FLAGS pin_flags(const PinState& p, CK_FLAGS count_low, CK_FLAGS final_try, CK_FLAGS locked) {
    if (p.tries_left <= 0) return locked;
    CK_FLAGS f = 0;
    if (p.tries_left < p.max_tries) f |= count_low;
    if (p.tries_left == 1) f |= final_try;
    return f;
}

}  // namespace

// ---- library -------------------------------------------------------------------------------

CK_RV Module::initialize(const char* conf_path, const CK_C_INITIALIZE_ARGS* args) {
    Lock lk(mutex_);
    if (initialized_) return CKR_CRYPTOKI_ALREADY_INITIALIZED;
    if (args) {
        if (args->pReserved) return CKR_ARGUMENTS_BAD;
        const int given = (args->CreateMutex != nullptr) + (args->DestroyMutex != nullptr) +
                          (args->LockMutex != nullptr) + (args->UnlockMutex != nullptr);
        if (given != 0 && given != 4) return CKR_ARGUMENTS_BAD;
        // We lock with the OS's primitives only; an application that insists on its own can't
        // have them (PKCS#11 v2.40 §5.4, case 3).
        if (given == 4 && !(args->flags & CKF_OS_LOCKING_OK)) return CKR_CANT_LOCK;
    }
    if (!conf_path || !*conf_path) {
        std::fprintf(stderr, "softcard: SOFTCARD_CONF is not set\n");
        return CKR_GENERAL_ERROR;
    }
    try {
        WorldConfig world = read_world(conf_path);
        std::vector<Card> cards;
        for (const CardEntry& e : world.cards) {
            Card c;
            c.entry = e;
            c.config = read_card(e.dir);
            // Keys and certificates of inserted cards now (a broken world fails here, loudly);
            // of the others when they are inserted.
            if (e.inserted) load_objects(c, 2 * cards.size());
            c.inserted = e.inserted;
            c.insertions = e.insertions;
            cards.push_back(std::move(c));
        }
        ::stat(world.conf_path.c_str(), &conf_stat_);
        store_ = std::make_unique<StateStore>(world);
        world_ = std::move(world);
        cards_ = std::move(cards);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return CKR_GENERAL_ERROR;
    }
    slots_.assign(cards_.size() * 2, Slot{});
    for (size_t i = 0; i < slots_.size(); ++i) {
        slots_[i].reported_present = cards_[i / 2].inserted;
        slots_[i].reported_generation = cards_[i / 2].generation;
    }
    sessions_.clear();
    finalize_wake_ = std::make_unique<WakeSignal>();
    initialized_ = true;
    return CKR_OK;
}

CK_RV Module::finalize(void* reserved) {
    if (reserved) return CKR_ARGUMENTS_BAD;
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    initialized_ = false;
    ++epoch_;
    // Calls blocked in C_WaitForSlotEvent return CKR_CRYPTOKI_NOT_INITIALIZED (§5.4.2); wait for
    // them to leave before the state they look at goes away.
    finalize_wake_->raise();
    waiters_left_.wait(lk, [this] { return waiters_ == 0; });
    finalize_wake_.reset();
    sessions_.clear();
    slots_.clear();
    cards_.clear();
    store_.reset();
    world_.reset();
    return CKR_OK;
}

CK_RV Module::get_info(CK_INFO* info) {
    if (!info) return CKR_ARGUMENTS_BAD;
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    std::memset(info, 0, sizeof *info);
    info->cryptokiVersion = {2, 40};
    pad(info->manufacturerID, "sithsd softcard");
    pad(info->libraryDescription, "SITHS soft card (test)");
    info->libraryVersion = {0, 1};
    return CKR_OK;
}

// ---- slots and tokens ----------------------------------------------------------------------

void Module::load_objects(Card& c, CK_SLOT_ID first_slot) {
    // OpenSSL 3 takes a few ms to decode a PEM key; reading only the cards in use keeps
    // C_Initialize short for the many processes a test run starts.
    c.objects[0] = load_token_objects(c.config, SlotKind::identification, first_slot);
    c.objects[1] = load_token_objects(c.config, SlotKind::signing, first_slot + 1);
    for (const auto& objects : c.objects)
        for (const TokenObject& o : objects)
            if (o.key) c.key_kind = EVP_PKEY_is_a(o.key.get(), "EC") ? KeyKind::ec : KeyKind::rsa;
    c.loaded = true;
}

void Module::refresh() {
    struct ::stat st {};
    if (::stat(world_->conf_path.c_str(), &st) != 0 || same_file_version(st, conf_stat_)) return;
    WorldConfig now;
    try {
        now = read_world(world_->conf_path);
    } catch (const std::exception&) {
        return;  // keep the last good view; the file is only ever replaced whole
    }
    conf_stat_ = st;
    for (size_t i = 0; i < cards_.size(); ++i) {
        Card& c = cards_[i];
        for (const CardEntry& e : now.cards) {
            if (e.name != c.entry.name) continue;
            if (e.inserted != c.inserted || e.insertions != c.insertions) {
                // A new card (or none): sessions of the old one die, logins are forgotten.
                bool inserted = e.inserted;
                if (inserted && !c.loaded) {
                    try {
                        load_objects(c, 2 * i);
                    } catch (const std::exception& ex) {
                        std::fprintf(stderr, "%s\n", ex.what());
                        inserted = false;  // a card that cannot be read is no card
                    }
                }
                c.inserted = inserted;
                c.insertions = e.insertions;
                ++c.generation;
                slots_[2 * i].login = Who::nobody;
                slots_[2 * i + 1].login = Who::nobody;
            }
        }
    }
}

Module::Card* Module::card_of_slot(CK_SLOT_ID slot) {
    if (slot >= slots_.size()) return nullptr;
    return &cards_[slot / 2];
}

CK_RV Module::present_card(CK_SLOT_ID slot, Card*& card) {
    card = card_of_slot(slot);
    if (!card) return CKR_SLOT_ID_INVALID;
    refresh();
    return card->inserted ? CKR_OK : CKR_TOKEN_NOT_PRESENT;
}

CK_RV Module::get_slot_list(CK_BBOOL token_present, CK_SLOT_ID* list, CK_ULONG* count) {
    if (!count) return CKR_ARGUMENTS_BAD;
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    refresh();
    std::vector<CK_SLOT_ID> ids;
    for (CK_SLOT_ID i = 0; i < slots_.size(); ++i)
        if (!token_present || cards_[i / 2].inserted) ids.push_back(i);
    return copy_out(ids, list, count);
}

CK_RV Module::get_slot_info(CK_SLOT_ID slot, CK_SLOT_INFO* info) {
    if (!info) return CKR_ARGUMENTS_BAD;
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Card* card = card_of_slot(slot);
    if (!card) return CKR_SLOT_ID_INVALID;
    refresh();
    std::memset(info, 0, sizeof *info);
    pad(info->slotDescription, "Softcard reader " + std::to_string(slot / 2));
    pad(info->manufacturerID, "sithsd softcard");
    info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT | (card->inserted ? CKF_TOKEN_PRESENT : 0);
    info->hardwareVersion = {1, 0};
    info->firmwareVersion = {1, 0};
    return CKR_OK;
}

void Module::fill_token_flags(const Card& card, CK_SLOT_ID slot, CK_TOKEN_INFO* info) {
    CardState st = store_->read(card.config);
    info->flags = CKF_RNG | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED;
    if (card.config.pin_pad) info->flags |= CKF_PROTECTED_AUTHENTICATION_PATH;
    info->flags |= pin_flags(pin_of(st, slot, false), CKF_USER_PIN_COUNT_LOW,
                             CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED);
    info->flags |= pin_flags(st.puk, CKF_SO_PIN_COUNT_LOW, CKF_SO_PIN_FINAL_TRY, CKF_SO_PIN_LOCKED);
}

CK_RV Module::get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO* info) {
    if (!info) return CKR_ARGUMENTS_BAD;
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Card* card = nullptr;
    if (CK_RV rv = present_card(slot, card); rv != CKR_OK) return rv;
    if (CK_RV rv = injected_fault(*card); rv != CKR_OK) return rv;
    std::memset(info, 0, sizeof *info);
    pad(info->label,
        card->config.holder + (is_signing_slot(slot) ? " (underskrift)" : " (legitimering)"));
    pad(info->manufacturerID, "sithsd softcard");
    pad(info->model, "SITHS softcard");
    pad(info->serialNumber, card->config.serial);
    fill_token_flags(*card, slot, info);
    CK_ULONG all = 0, rw = 0;
    for (const auto& [h, s] : sessions_) {
        if (s.slot != slot || s.generation != card->generation) continue;
        ++all;
        if (s.rw) ++rw;
    }
    info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
    info->ulSessionCount = all;
    info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
    info->ulRwSessionCount = rw;
    info->ulMaxPinLen = kMaxPinLen;
    info->ulMinPinLen = kMinPinLen;
    info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
    info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
    info->hardwareVersion = {1, 0};
    info->firmwareVersion = {1, 0};
    std::memset(info->utcTime, ' ', sizeof info->utcTime);  // no clock on the card
    return CKR_OK;
}

CK_RV Module::get_mechanism_list(CK_SLOT_ID slot, CK_MECHANISM_TYPE* list, CK_ULONG* count) {
    if (!count) return CKR_ARGUMENTS_BAD;
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Card* card = nullptr;
    if (CK_RV rv = present_card(slot, card); rv != CKR_OK) return rv;
    return copy_out(mechanisms_for(card->key_kind), list, count);
}

CK_RV Module::get_mechanism_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO* info) {
    if (!info) return CKR_ARGUMENTS_BAD;
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    Card* card = nullptr;
    if (CK_RV rv = present_card(slot, card); rv != CKR_OK) return rv;
    const auto mechanisms = mechanisms_for(card->key_kind);
    if (std::find(mechanisms.begin(), mechanisms.end(), type) == mechanisms.end())
        return CKR_MECHANISM_INVALID;
    if (card->key_kind == KeyKind::rsa) {
        info->ulMinKeySize = 1024;
        info->ulMaxKeySize = 4096;
        info->flags = CKF_HW | CKF_SIGN;
    } else {
        info->ulMinKeySize = 256;
        info->ulMaxKeySize = 521;
        info->flags = CKF_HW | CKF_SIGN | CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
    }
    return CKR_OK;
}

}  // namespace sithsd::softcard
