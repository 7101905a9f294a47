#pragma once
// The module's state behind the C entry points: fixed slots that the inserted cards occupy (one
// token per card), sessions, object search and signing. It holds no card and no PIN: the card list
// comes from sithsd (moduleCertificates, read again at most once a second, or at once for
// C_GetSlotList), and C_Sign is a moduleSign on a connection of its own. Thread-safe
// (CKF_OS_LOCKING_OK): one lock for the slot and session tables, never held while the daemon is
// asked; one for the shared daemon link.
#include <p11-kit/pkcs11.h>

#include <array>
#include <boost/json/array.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "browser-bridge/pkcs11-module/daemon_link.hpp"
#include "browser-bridge/pkcs11-module/token_objects.hpp"

namespace sithsd::module {

// Slots a browser sees; a card takes the first free one and keeps it while inserted. Fixed, since
// NSS reads a module's slot list once.
inline constexpr std::size_t kSlotCount = 4;

class TokenModule {
  public:
    CK_RV get_info(CK_INFO* info) const;
    CK_RV slot_list(CK_BBOOL token_present, CK_SLOT_ID* list, CK_ULONG* count);
    CK_RV slot_info(CK_SLOT_ID id, CK_SLOT_INFO* info);
    CK_RV token_info(CK_SLOT_ID id, CK_TOKEN_INFO* info);
    CK_RV wait_for_slot_event(CK_FLAGS flags, CK_SLOT_ID* slot);
    CK_RV mechanism_list(CK_SLOT_ID id, CK_MECHANISM_TYPE* list, CK_ULONG* count);
    CK_RV mechanism_info(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO* info);

    CK_RV open_session(CK_SLOT_ID id, CK_FLAGS flags, CK_SESSION_HANDLE* handle);
    CK_RV close_session(CK_SESSION_HANDLE handle);
    CK_RV close_all_sessions(CK_SLOT_ID id);
    CK_RV session_info(CK_SESSION_HANDLE handle, CK_SESSION_INFO* info);
    CK_RV login(CK_SESSION_HANDLE handle, CK_USER_TYPE user);
    CK_RV logout(CK_SESSION_HANDLE handle);

    CK_RV find_init(CK_SESSION_HANDLE handle, CK_ATTRIBUTE* templ, CK_ULONG count);
    CK_RV find(CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE* out, CK_ULONG max, CK_ULONG* count);
    CK_RV find_final(CK_SESSION_HANDLE handle);
    CK_RV attribute_value(CK_SESSION_HANDLE handle, CK_OBJECT_HANDLE object, CK_ATTRIBUTE* templ,
                          CK_ULONG count);

    CK_RV sign_init(CK_SESSION_HANDLE handle, const CK_MECHANISM* mechanism, CK_OBJECT_HANDLE key);
    CK_RV sign(CK_SESSION_HANDLE handle, const CK_BYTE* data, CK_ULONG length, CK_BYTE* signature,
               CK_ULONG* signature_length);

    // C_Finalize: wakes C_WaitForSlotEvent, which then returns CKR_CRYPTOKI_NOT_INITIALIZED.
    void finalize();

  private:
    struct Slot {
        std::string card_id;  // empty: no card
        std::string label, reader;
        std::vector<TokenObject> objects;
        bool event = false;  // presence changed since the last C_WaitForSlotEvent
        bool logged_in = false;
    };
    struct SignOperation {
        CK_OBJECT_HANDLE key;
        boost::json::object params;  // moduleSign's, without data
        CK_ULONG max_data;
    };
    struct Session {
        std::size_t slot;
        CK_FLAGS flags;
        std::optional<std::vector<CK_OBJECT_HANDLE>> found;  // an active C_FindObjects
        std::optional<SignOperation> signing;
    };

    // Reads the card list from the daemon when the last read is older than a second (or always).
    void refresh(bool always);
    void apply(const std::optional<boost::json::array>& cards);
    // Under state_: the slot of an id, the session of a handle, a slot's object of a handle.
    Slot* slot_of(CK_SLOT_ID id);
    Session* session_of(CK_SESSION_HANDLE handle);
    const TokenObject* object_of(const Session& session, CK_OBJECT_HANDLE handle) const;
    void drop_sessions(std::size_t slot);

    std::mutex state_;  // slots_, sessions_, next_session_, finalized_
    std::condition_variable slot_event_;
    std::array<Slot, kSlotCount> slots_;
    std::map<CK_SESSION_HANDLE, Session> sessions_;
    CK_SESSION_HANDLE next_session_ = 1;
    bool finalized_ = false;

    std::mutex link_mutex_;  // link_, last_refresh_
    DaemonLink link_;
    std::optional<std::chrono::steady_clock::time_point> last_refresh_;

    // One idle connection kept for the next C_Sign, so that a handshake's signature costs one
    // round trip (moduleSign) instead of a connection, introduce and moduleSign. A C_Sign that
    // finds it taken (another signature under way) opens its own; it is dropped when it has
    // been idle long (the daemon closes idle connections after 600 s) or the daemon hung up.
    DaemonLink take_sign_link();
    void keep_sign_link(DaemonLink link);
    std::mutex spare_mutex_;  // spare_link_, spare_since_
    std::optional<DaemonLink> spare_link_;
    std::chrono::steady_clock::time_point spare_since_;
};

}  // namespace sithsd::module
