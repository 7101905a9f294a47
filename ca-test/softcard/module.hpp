#pragma once
// The soft card's PKCS#11 behaviour behind the C entry points (entry_points.cpp): slots, tokens,
// sessions, logins, PIN counters, objects, signatures, insert/remove and injected faults.
//
// Card i of softcard.json owns slots 2i (identification) and 2i+1 (signing), listed always with
// tokenPresent = FALSE and only while inserted with tokenPresent = TRUE. softcard.json and the
// state file are re-read when they change (checked on every call; a blocking C_WaitForSlotEvent
// sleeps until inotify says softcard.json changed), so softcard-ctl in another process takes
// effect at once. One mutex guards everything; injected delays and C_WaitForSlotEvent wait
// without it. The member functions are defined by role: module.cpp (library, slots, tokens),
// slot_events.cpp, sessions.cpp (sessions, objects), pins.cpp (PINs, faults), signing.cpp.

#include <p11-kit/pkcs11.h>
#include <sys/stat.h>

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ca-test/softcard/conf_watch.hpp"
#include "ca-test/softcard/config.hpp"
#include "ca-test/softcard/sign_operation.hpp"
#include "ca-test/softcard/state_store.hpp"
#include "ca-test/softcard/token_objects.hpp"

namespace sithsd::softcard {

class Module {
  public:
    CK_RV initialize(const char* conf_path, const CK_C_INITIALIZE_ARGS* args);
    CK_RV finalize(void* reserved);
    CK_RV get_info(CK_INFO* info);
    CK_RV get_slot_list(CK_BBOOL token_present, CK_SLOT_ID* list, CK_ULONG* count);
    CK_RV get_slot_info(CK_SLOT_ID slot, CK_SLOT_INFO* info);
    CK_RV get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO* info);
    CK_RV wait_for_slot_event(CK_FLAGS flags, CK_SLOT_ID* slot, void* reserved);
    CK_RV get_mechanism_list(CK_SLOT_ID slot, CK_MECHANISM_TYPE* list, CK_ULONG* count);
    CK_RV get_mechanism_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO* info);
    CK_RV init_pin(CK_SESSION_HANDLE h, CK_UTF8CHAR* pin, CK_ULONG len);
    CK_RV set_pin(CK_SESSION_HANDLE h, CK_UTF8CHAR* old_pin, CK_ULONG old_len, CK_UTF8CHAR* new_pin,
                  CK_ULONG new_len);
    CK_RV open_session(CK_SLOT_ID slot, CK_FLAGS flags, CK_SESSION_HANDLE* h);
    CK_RV close_session(CK_SESSION_HANDLE h);
    CK_RV close_all_sessions(CK_SLOT_ID slot);
    CK_RV get_session_info(CK_SESSION_HANDLE h, CK_SESSION_INFO* info);
    CK_RV login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR* pin, CK_ULONG len);
    CK_RV logout(CK_SESSION_HANDLE h);
    CK_RV get_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE* templ,
                              CK_ULONG count);
    CK_RV find_objects_init(CK_SESSION_HANDLE h, CK_ATTRIBUTE* templ, CK_ULONG count);
    CK_RV find_objects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE* out, CK_ULONG max, CK_ULONG* count);
    CK_RV find_objects_final(CK_SESSION_HANDLE h);
    CK_RV sign_init(CK_SESSION_HANDLE h, CK_MECHANISM* mechanism, CK_OBJECT_HANDLE key);
    CK_RV sign(CK_SESSION_HANDLE h, CK_BYTE* data, CK_ULONG len, CK_BYTE* sig, CK_ULONG* sig_len);
    CK_RV sign_update(CK_SESSION_HANDLE h, CK_BYTE* data, CK_ULONG len);
    CK_RV sign_final(CK_SESSION_HANDLE h, CK_BYTE* sig, CK_ULONG* sig_len);
    CK_RV generate_random(CK_SESSION_HANDLE h, CK_BYTE* out, CK_ULONG len);

  private:
    enum class Who { nobody, user, so };

    struct Card {
        CardEntry entry;
        CardConfig config;
        KeyKind key_kind = KeyKind::none;
        bool loaded = false;  // objects read (at C_Initialize if inserted, else at insertion)
        std::vector<TokenObject> objects[2];  // [0] identification slot, [1] signing slot
        bool inserted = false;
        std::uint64_t insertions = 0;
        std::uint64_t generation = 0;  // grows with every insertion or removal the module sees
    };

    struct Slot {
        Who login = Who::nobody;
        // The (present, generation) last reported by C_WaitForSlotEvent.
        bool reported_present = false;
        std::uint64_t reported_generation = 0;
    };

    struct SignState {
        std::unique_ptr<SignOperation> op;
        bool always_authenticate = false;
        bool context_login_done = false;
        bool updated = false;  // C_SignUpdate was called: only C_SignUpdate/C_SignFinal now
    };

    struct Session {
        CK_SLOT_ID slot = 0;
        bool rw = false;
        std::uint64_t generation = 0;
        bool finding = false;
        std::vector<CK_OBJECT_HANDLE> found;
        size_t found_pos = 0;
        std::optional<SignState> signing;
    };

    using Lock = std::unique_lock<std::mutex>;

    void refresh();
    void load_objects(Card& card, CK_SLOT_ID first_slot);
    Card* card_of_slot(CK_SLOT_ID slot);
    CK_RV present_card(CK_SLOT_ID slot, Card*& card);
    CK_RV live_session(CK_SESSION_HANDLE h, Session*& s, Card*& card);
    CK_RV injected_fault(Card& card);
    void injected_delay(CK_SESSION_HANDLE h);
    CK_RV verify_pin(Card& card, CK_SLOT_ID slot, bool puk, const CK_UTF8CHAR* pin, CK_ULONG len);
    const TokenObject* visible_object(const Session& s, CK_OBJECT_HANDLE h) const;
    void logout_slot(CK_SLOT_ID slot);
    void fill_token_flags(const Card& card, CK_SLOT_ID slot, CK_TOKEN_INFO* info);
    CK_RV finish_sign(Session& s, Card& card, CK_BYTE* sig, CK_ULONG* sig_len);

    std::mutex mutex_;
    bool initialized_ = false;
    std::uint64_t epoch_ = 0;  // grows with every C_Finalize, to end waiting calls
    int waiters_ = 0;          // calls in C_WaitForSlotEvent
    std::condition_variable waiters_left_;
    std::unique_ptr<WakeSignal> finalize_wake_;  // raised by C_Finalize; while initialised
    std::optional<WorldConfig> world_;
    std::unique_ptr<StateStore> store_;
    std::vector<Card> cards_;
    std::vector<Slot> slots_;
    std::map<CK_SESSION_HANDLE, Session> sessions_;
    CK_SESSION_HANDLE next_session_ = 1;
    struct ::stat conf_stat_ {};
};

}  // namespace sithsd::softcard
