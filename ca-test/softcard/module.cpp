#include "ca-test/softcard/module.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>

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

}  // namespace

namespace {

constexpr CK_ULONG kMinPinLen = 4;
constexpr CK_ULONG kMaxPinLen = 16;
constexpr auto kPollInterval = std::chrono::milliseconds(50);

constexpr CK_MECHANISM_TYPE kRsaMechanisms[] = {
    CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS, CKM_RSA_PKCS_PSS};
constexpr CK_MECHANISM_TYPE kEcMechanisms[] = {CKM_ECDSA, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384,
                                               CKM_ECDSA_SHA512};

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

bool is_signing_slot(CK_SLOT_ID slot) {
    return slot % 2 == 1;
}

PinState& pin_of(CardState& st, CK_SLOT_ID slot, bool puk) {
    if (puk) return st.puk;
    return is_signing_slot(slot) ? st.signing : st.identification;
}

std::vector<CK_MECHANISM_TYPE> mechanisms_for(KeyKind kind) {
    if (kind == KeyKind::rsa) return {std::begin(kRsaMechanisms), std::end(kRsaMechanisms)};
    if (kind == KeyKind::ec) return {std::begin(kEcMechanisms), std::end(kEcMechanisms)};
    return {};
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
    slot_event_.notify_all();
    slot_event_.wait(lk, [this] { return waiters_ == 0; });
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
                slot_event_.notify_all();  // a C_WaitForSlotEvent in another thread: look now
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

CK_RV Module::wait_for_slot_event(CK_FLAGS flags, CK_SLOT_ID* slot, void* reserved) {
    if (!slot || reserved) return CKR_ARGUMENTS_BAD;
    Lock lk(mutex_);
    if (!initialized_) return CKR_CRYPTOKI_NOT_INITIALIZED;
    const std::uint64_t epoch = epoch_;
    ++waiters_;
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
        // Another process changes softcard.json: poll it (a stat) every 50 ms.
        slot_event_.wait_for(lk, kPollInterval);
        if (epoch_ != epoch || !initialized_) {
            rv = CKR_CRYPTOKI_NOT_INITIALIZED;
            break;
        }
    }
    --waiters_;
    slot_event_.notify_all();
    return rv;
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
