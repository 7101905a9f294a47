#pragma once
// Private to pkcs11/: small owners and helpers over the PKCS#11 C API. Only .cpp files of this
// folder include it (it pulls in pkcs11.h).
#include <p11-kit/pkcs11.h>

#include <optional>
#include <string>
#include <vector>

#include "pkcs11/card_error.hpp"
#include "pkcs11/secret.hpp"

namespace sithsd::pkcs11::p11 {

// A PKCS#11 session, closed when it goes out of scope.
class Session {
  public:
    // read_write: C_SetPIN and C_InitPIN need a read-write session.
    Session(CK_FUNCTION_LIST* f, CK_SLOT_ID slot, bool read_write = false);
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    ~Session();

    CK_SESSION_HANDLE handle() const { return handle_; }
    CK_FUNCTION_LIST* f() const { return f_; }

    std::vector<CK_OBJECT_HANDLE> find(CK_OBJECT_CLASS cls,
                                       const std::vector<std::uint8_t>* id = nullptr);
    std::optional<std::vector<std::uint8_t>> bytes(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type);
    std::optional<bool> flag(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type);
    std::optional<CK_ULONG> number(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type);

  private:
    CK_FUNCTION_LIST* f_;
    CK_SESSION_HANDLE handle_ = CK_INVALID_HANDLE;
};

// C_Login as CKU_USER or CKU_CONTEXT_SPECIFIC; a null or empty PIN on a PIN-pad reader logs in
// through the reader's keys. Undone by C_Logout when it goes out of scope, unless released.
class Login {
  public:
    Login(Session& session, CK_USER_TYPE user, const Secret* pin, bool pin_pad);
    Login(const Login&) = delete;
    Login& operator=(const Login&) = delete;
    ~Login();
    void release() { active_ = false; }

  private:
    Session& session_;
    bool active_ = false;
};

CK_TOKEN_INFO token_info(CK_FUNCTION_LIST* f, CK_SLOT_ID slot);
// Space-padded fixed-size PKCS#11 strings, trimmed.
std::string trimmed(const unsigned char* text, std::size_t size);
PinStatus pin_status(const CK_TOKEN_INFO& info);

}  // namespace sithsd::pkcs11::p11
