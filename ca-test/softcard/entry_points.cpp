// The PKCS#11 v2.40 C interface of libsoftcard.so: C_GetFunctionList and the C_ functions, each a
// thin call into the one Module. Exceptions never cross into the C caller.

#include <p11-kit/pkcs11.h>

#include <cstdlib>
#include <exception>
#include <new>

#include "ca-test/softcard/module.hpp"

#define SOFTCARD_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

sithsd::softcard::Module& module() {
    // A PKCS#11 module is one per process by definition; its state lives here.
    static sithsd::softcard::Module m;
    return m;
}

template <typename F>
CK_RV guarded(F&& f) noexcept {
    try {
        return f();
    } catch (const std::bad_alloc&) {
        return CKR_HOST_MEMORY;
    } catch (const std::exception&) {
        return CKR_GENERAL_ERROR;
    } catch (...) {
        return CKR_GENERAL_ERROR;
    }
}

}  // namespace

SOFTCARD_EXPORT CK_RV C_Initialize(void* init_args) {
    // The module's one input from the environment: which world to present (make-world's env.sh).
    const char* conf = std::getenv("SOFTCARD_CONF");
    return guarded([&] {
        return module().initialize(conf, static_cast<const CK_C_INITIALIZE_ARGS*>(init_args));
    });
}
SOFTCARD_EXPORT CK_RV C_Finalize(void* reserved) {
    return guarded([&] { return module().finalize(reserved); });
}
SOFTCARD_EXPORT CK_RV C_GetInfo(CK_INFO* info) {
    return guarded([&] { return module().get_info(info); });
}
SOFTCARD_EXPORT CK_RV C_GetSlotList(CK_BBOOL present, CK_SLOT_ID* list, CK_ULONG* count) {
    return guarded([&] { return module().get_slot_list(present, list, count); });
}
SOFTCARD_EXPORT CK_RV C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO* info) {
    return guarded([&] { return module().get_slot_info(slot, info); });
}
SOFTCARD_EXPORT CK_RV C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO* info) {
    return guarded([&] { return module().get_token_info(slot, info); });
}
SOFTCARD_EXPORT CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID* slot, void* reserved) {
    return guarded([&] { return module().wait_for_slot_event(flags, slot, reserved); });
}
SOFTCARD_EXPORT CK_RV C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE* list, CK_ULONG* n) {
    return guarded([&] { return module().get_mechanism_list(slot, list, n); });
}
SOFTCARD_EXPORT CK_RV C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
                                         CK_MECHANISM_INFO* info) {
    return guarded([&] { return module().get_mechanism_info(slot, type, info); });
}
SOFTCARD_EXPORT CK_RV C_InitPIN(CK_SESSION_HANDLE h, CK_UTF8CHAR* pin, CK_ULONG len) {
    return guarded([&] { return module().init_pin(h, pin, len); });
}
SOFTCARD_EXPORT CK_RV C_SetPIN(CK_SESSION_HANDLE h, CK_UTF8CHAR* old_pin, CK_ULONG old_len,
                               CK_UTF8CHAR* new_pin, CK_ULONG new_len) {
    return guarded([&] { return module().set_pin(h, old_pin, old_len, new_pin, new_len); });
}
SOFTCARD_EXPORT CK_RV C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, void*, CK_NOTIFY,
                                    CK_SESSION_HANDLE* h) {
    // Notification callbacks are optional (§5.6); this module never calls them.
    return guarded([&] { return module().open_session(slot, flags, h); });
}
SOFTCARD_EXPORT CK_RV C_CloseSession(CK_SESSION_HANDLE h) {
    return guarded([&] { return module().close_session(h); });
}
SOFTCARD_EXPORT CK_RV C_CloseAllSessions(CK_SLOT_ID slot) {
    return guarded([&] { return module().close_all_sessions(slot); });
}
SOFTCARD_EXPORT CK_RV C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO* info) {
    return guarded([&] { return module().get_session_info(h, info); });
}
SOFTCARD_EXPORT CK_RV C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR* pin,
                              CK_ULONG len) {
    return guarded([&] { return module().login(h, user, pin, len); });
}
SOFTCARD_EXPORT CK_RV C_Logout(CK_SESSION_HANDLE h) {
    return guarded([&] { return module().logout(h); });
}
SOFTCARD_EXPORT CK_RV C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
                                          CK_ATTRIBUTE* templ, CK_ULONG count) {
    return guarded([&] { return module().get_attribute_value(h, obj, templ, count); });
}
SOFTCARD_EXPORT CK_RV C_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE* templ, CK_ULONG count) {
    return guarded([&] { return module().find_objects_init(h, templ, count); });
}
SOFTCARD_EXPORT CK_RV C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE* out, CK_ULONG max,
                                    CK_ULONG* count) {
    return guarded([&] { return module().find_objects(h, out, max, count); });
}
SOFTCARD_EXPORT CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE h) {
    return guarded([&] { return module().find_objects_final(h); });
}
SOFTCARD_EXPORT CK_RV C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM* mechanism,
                                 CK_OBJECT_HANDLE key) {
    return guarded([&] { return module().sign_init(h, mechanism, key); });
}
SOFTCARD_EXPORT CK_RV C_Sign(CK_SESSION_HANDLE h, CK_BYTE* data, CK_ULONG len, CK_BYTE* sig,
                             CK_ULONG* sig_len) {
    return guarded([&] { return module().sign(h, data, len, sig, sig_len); });
}
SOFTCARD_EXPORT CK_RV C_SignUpdate(CK_SESSION_HANDLE h, CK_BYTE* data, CK_ULONG len) {
    return guarded([&] { return module().sign_update(h, data, len); });
}
SOFTCARD_EXPORT CK_RV C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE* sig, CK_ULONG* sig_len) {
    return guarded([&] { return module().sign_final(h, sig, sig_len); });
}
SOFTCARD_EXPORT CK_RV C_GenerateRandom(CK_SESSION_HANDLE h, CK_BYTE* out, CK_ULONG len) {
    return guarded([&] { return module().generate_random(h, out, len); });
}

// What a card cannot do: create, change or destroy objects, encrypt, decrypt, digest, verify,
// wrap, derive, keep operation state, run functions in parallel.
namespace {
template <typename... Args>
CK_RV not_supported(Args...) {
    return CKR_FUNCTION_NOT_SUPPORTED;
}
}  // namespace

SOFTCARD_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST** list);

namespace {
CK_FUNCTION_LIST function_list = {
    {2, 40},
    C_Initialize,
    C_Finalize,
    C_GetInfo,
    C_GetFunctionList,
    C_GetSlotList,
    C_GetSlotInfo,
    C_GetTokenInfo,
    C_GetMechanismList,
    C_GetMechanismInfo,
    not_supported<CK_SLOT_ID, CK_UTF8CHAR*, CK_ULONG, CK_UTF8CHAR*>,  // C_InitToken
    C_InitPIN,
    C_SetPIN,
    C_OpenSession,
    C_CloseSession,
    C_CloseAllSessions,
    C_GetSessionInfo,
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG*>,  // C_GetOperationState
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_OBJECT_HANDLE, CK_OBJECT_HANDLE>,
    C_Login,
    C_Logout,
    not_supported<CK_SESSION_HANDLE, CK_ATTRIBUTE*, CK_ULONG, CK_OBJECT_HANDLE*>,  // CreateObject
    not_supported<CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE*, CK_ULONG,
                  CK_OBJECT_HANDLE*>,                               // CopyObject
    not_supported<CK_SESSION_HANDLE, CK_OBJECT_HANDLE>,             // DestroyObject
    not_supported<CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ULONG*>,  // GetObjectSize
    C_GetAttributeValue,
    not_supported<CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE*, CK_ULONG>,  // SetAttribute
    C_FindObjectsInit,
    C_FindObjects,
    C_FindObjectsFinal,
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE>,          // EncryptInit
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,  // Encrypt
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,  // EncryptUpdate
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG*>,                      // EncryptFinal
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE>,          // DecryptInit
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,  // Decrypt
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,  // DecryptUpdate
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG*>,                      // DecryptFinal
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*>,                            // DigestInit
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,  // Digest
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG>,                       // DigestUpdate
    not_supported<CK_SESSION_HANDLE, CK_OBJECT_HANDLE>,                         // DigestKey
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG*>,                      // DigestFinal
    C_SignInit,
    C_Sign,
    C_SignUpdate,
    C_SignFinal,
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE>,          // SignRecoverInit
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,  // SignRecover
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE>,          // VerifyInit
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG>,   // Verify
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG>,                       // VerifyUpdate
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG>,                       // VerifyFinal
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE>,          // VerifyRecoverInit
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,  // VerifyRecover
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*,
                  CK_ULONG*>,  // DigestEncryptUpdate
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*,
                  CK_ULONG*>,  // DecryptDigestUpdate
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,  // SignEncryptUpdate
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*,
                  CK_ULONG*>,  // DecryptVerifyUpdate
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_ATTRIBUTE*, CK_ULONG, CK_OBJECT_HANDLE*>,
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_ATTRIBUTE*, CK_ULONG, CK_ATTRIBUTE*,
                  CK_ULONG, CK_OBJECT_HANDLE*, CK_OBJECT_HANDLE*>,  // GenerateKeyPair
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE, CK_OBJECT_HANDLE, CK_BYTE*,
                  CK_ULONG*>,  // WrapKey
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE, CK_BYTE*, CK_ULONG,
                  CK_ATTRIBUTE*, CK_ULONG, CK_OBJECT_HANDLE*>,  // UnwrapKey
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE, CK_ATTRIBUTE*, CK_ULONG,
                  CK_OBJECT_HANDLE*>,                      // DeriveKey
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG>,  // SeedRandom
    C_GenerateRandom,
    // Legacy functions: §5.16 says they return CKR_FUNCTION_NOT_PARALLEL; not supported is what
    // most modules answer and what clients expect.
    not_supported<CK_SESSION_HANDLE>,  // GetFunctionStatus
    not_supported<CK_SESSION_HANDLE>,  // CancelFunction
    C_WaitForSlotEvent,
};
}  // namespace

SOFTCARD_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST** list) {
    if (!list) return CKR_ARGUMENTS_BAD;
    *list = &function_list;
    return CKR_OK;
}
