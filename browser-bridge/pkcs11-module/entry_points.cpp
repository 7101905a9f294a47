// The C ABI of libsithsd-pkcs11.so: C_GetFunctionList is the only exported symbol (exports.map);
// every other entry point is reached through the function list. No C++ exception crosses into
// the browser (guarded); every call checks the module is initialized in this process: after
// fork() the child sees CKR_CRYPTOKI_NOT_INITIALIZED until it calls C_Initialize itself, and the
// parent's state (its locks, its daemon connection) is left alone, never used nor freed.
#include <p11-kit/pkcs11.h>
#include <pthread.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <new>

#include "browser-bridge/pkcs11-module/token_module.hpp"

namespace {

using sithsd::module::TokenModule;

std::mutex g_mutex;  // g_module, g_pid; taken only to look them up, never during a call
std::shared_ptr<TokenModule> g_module;
pid_t g_pid = 0;

void forget_after_fork() {
    // In the child: the parent's module may hold locks of threads that do not exist here, and
    // shares its socket with the parent. Leaked on purpose (a fork child's few bytes).
    new std::shared_ptr<TokenModule>(std::move(g_module));
    g_module.reset();
}

void install_fork_handlers() {
    static std::once_flag once;
    std::call_once(once, [] {
        pthread_atfork([] { g_mutex.lock(); }, [] { g_mutex.unlock(); },
                       [] {
                           forget_after_fork();
                           g_mutex.unlock();
                       });
    });
}

std::shared_ptr<TokenModule> current() {
    std::lock_guard lock(g_mutex);
    if (g_module && g_pid != ::getpid()) forget_after_fork();
    return g_module;
}

template <class F>
CK_RV guarded(F&& f) noexcept {
    try {
        return f();
    } catch (const std::bad_alloc&) {
        return CKR_HOST_MEMORY;
    } catch (...) {
        return CKR_GENERAL_ERROR;
    }
}

// An entry point that needs the module: CKR_CRYPTOKI_NOT_INITIALIZED without one.
template <class F>
CK_RV with_module(F&& f) noexcept {
    return guarded([&]() -> CK_RV {
        const auto module = current();
        return module ? f(*module) : CKR_CRYPTOKI_NOT_INITIALIZED;
    });
}

CK_RV initialize(void* init_args) {
    return guarded([&]() -> CK_RV {
        if (const auto* args = static_cast<const CK_C_INITIALIZE_ARGS*>(init_args)) {
            if (args->pReserved) return CKR_ARGUMENTS_BAD;
            const bool some =
                args->CreateMutex || args->DestroyMutex || args->LockMutex || args->UnlockMutex;
            const bool all =
                args->CreateMutex && args->DestroyMutex && args->LockMutex && args->UnlockMutex;
            if (some != all) return CKR_ARGUMENTS_BAD;
            // Only the OS's locks are used: callbacks without CKF_OS_LOCKING_OK cannot be honoured.
            if (all && !(args->flags & CKF_OS_LOCKING_OK)) return CKR_CANT_LOCK;
        }
        install_fork_handlers();
        std::lock_guard lock(g_mutex);
        if (g_module && g_pid == ::getpid()) return CKR_CRYPTOKI_ALREADY_INITIALIZED;
        if (g_module) forget_after_fork();
        g_module = std::make_shared<TokenModule>();
        g_pid = ::getpid();
        return CKR_OK;
    });
}

CK_RV finalize(void* reserved) {
    return guarded([&]() -> CK_RV {
        if (reserved) return CKR_ARGUMENTS_BAD;
        std::shared_ptr<TokenModule> module;
        {
            std::lock_guard lock(g_mutex);
            if (g_module && g_pid != ::getpid()) forget_after_fork();
            module = std::move(g_module);
        }
        if (!module) return CKR_CRYPTOKI_NOT_INITIALIZED;
        module->finalize();  // a C_WaitForSlotEvent in another thread returns
        return CKR_OK;
    });
}

CK_RV get_info(CK_INFO* info) {
    return with_module([&](TokenModule& m) { return m.get_info(info); });
}
CK_RV get_slot_list(CK_BBOOL present, CK_SLOT_ID* list, CK_ULONG* count) {
    return with_module([&](TokenModule& m) { return m.slot_list(present, list, count); });
}
CK_RV get_slot_info(CK_SLOT_ID slot, CK_SLOT_INFO* info) {
    return with_module([&](TokenModule& m) { return m.slot_info(slot, info); });
}
CK_RV get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO* info) {
    return with_module([&](TokenModule& m) { return m.token_info(slot, info); });
}
CK_RV wait_for_slot_event(CK_FLAGS flags, CK_SLOT_ID* slot, void* reserved) {
    if (reserved) return CKR_ARGUMENTS_BAD;
    return with_module([&](TokenModule& m) { return m.wait_for_slot_event(flags, slot); });
}
CK_RV get_mechanism_list(CK_SLOT_ID slot, CK_MECHANISM_TYPE* list, CK_ULONG* count) {
    return with_module([&](TokenModule& m) { return m.mechanism_list(slot, list, count); });
}
CK_RV get_mechanism_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO* info) {
    return with_module([&](TokenModule& m) { return m.mechanism_info(slot, type, info); });
}
CK_RV open_session(CK_SLOT_ID slot, CK_FLAGS flags, void*, CK_NOTIFY, CK_SESSION_HANDLE* h) {
    // Notification callbacks are optional (§5.6); this module never calls them.
    return with_module([&](TokenModule& m) { return m.open_session(slot, flags, h); });
}
CK_RV close_session(CK_SESSION_HANDLE h) {
    return with_module([&](TokenModule& m) { return m.close_session(h); });
}
CK_RV close_all_sessions(CK_SLOT_ID slot) {
    return with_module([&](TokenModule& m) { return m.close_all_sessions(slot); });
}
CK_RV get_session_info(CK_SESSION_HANDLE h, CK_SESSION_INFO* info) {
    return with_module([&](TokenModule& m) { return m.session_info(h, info); });
}
CK_RV login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR*, CK_ULONG) {
    return with_module([&](TokenModule& m) { return m.login(h, user); });
}
CK_RV logout(CK_SESSION_HANDLE h) {
    return with_module([&](TokenModule& m) { return m.logout(h); });
}
CK_RV get_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE* t, CK_ULONG n) {
    return with_module([&](TokenModule& m) { return m.attribute_value(h, o, t, n); });
}
CK_RV find_objects_init(CK_SESSION_HANDLE h, CK_ATTRIBUTE* t, CK_ULONG n) {
    return with_module([&](TokenModule& m) { return m.find_init(h, t, n); });
}
CK_RV find_objects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE* out, CK_ULONG max, CK_ULONG* n) {
    return with_module([&](TokenModule& m) { return m.find(h, out, max, n); });
}
CK_RV find_objects_final(CK_SESSION_HANDLE h) {
    return with_module([&](TokenModule& m) { return m.find_final(h); });
}
CK_RV sign_init(CK_SESSION_HANDLE h, CK_MECHANISM* mechanism, CK_OBJECT_HANDLE key) {
    return with_module([&](TokenModule& m) { return m.sign_init(h, mechanism, key); });
}
CK_RV sign(CK_SESSION_HANDLE h, CK_BYTE* data, CK_ULONG n, CK_BYTE* sig, CK_ULONG* sig_n) {
    return with_module([&](TokenModule& m) { return m.sign(h, data, n, sig, sig_n); });
}

// Everything a TLS client login does not need: the token is read-only, keys never leave it.
template <class... Args>
CK_RV not_supported(Args...) {
    return with_module([](TokenModule&) -> CK_RV { return CKR_FUNCTION_NOT_SUPPORTED; });
}
// Cancelling a function and the status of a parallel one (legacy, §5.20).
CK_RV not_parallel(CK_SESSION_HANDLE) {
    return with_module([](TokenModule&) -> CK_RV { return CKR_FUNCTION_NOT_PARALLEL; });
}

CK_FUNCTION_LIST g_functions = {
    {2, 40},
    initialize,
    finalize,
    get_info,
    nullptr,  // C_GetFunctionList, set below
    get_slot_list,
    get_slot_info,
    get_token_info,
    get_mechanism_list,
    get_mechanism_info,
    not_supported<CK_SLOT_ID, CK_UTF8CHAR*, CK_ULONG, CK_UTF8CHAR*>,  // C_InitToken
    not_supported<CK_SESSION_HANDLE, CK_UTF8CHAR*, CK_ULONG>,         // C_InitPIN
    not_supported<CK_SESSION_HANDLE, CK_UTF8CHAR*, CK_ULONG, CK_UTF8CHAR*, CK_ULONG>,  // SetPIN
    open_session,
    close_session,
    close_all_sessions,
    get_session_info,
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG*>,  // C_GetOperationState
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_OBJECT_HANDLE, CK_OBJECT_HANDLE>,
    login,
    logout,
    not_supported<CK_SESSION_HANDLE, CK_ATTRIBUTE*, CK_ULONG, CK_OBJECT_HANDLE*>,  // CreateObject
    not_supported<CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE*, CK_ULONG,
                  CK_OBJECT_HANDLE*>,                               // C_CopyObject
    not_supported<CK_SESSION_HANDLE, CK_OBJECT_HANDLE>,             // C_DestroyObject
    not_supported<CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ULONG*>,  // C_GetObjectSize
    get_attribute_value,
    not_supported<CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE*, CK_ULONG>,  // SetAttribute
    find_objects_init,
    find_objects,
    find_objects_final,
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE>,  // C_EncryptInit
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG*>,
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE>,  // C_DecryptInit
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG*>,
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*>,  // C_DigestInit
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG>,
    not_supported<CK_SESSION_HANDLE, CK_OBJECT_HANDLE>,
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG*>,
    sign_init,
    sign,
    // Multi-part signing: these mechanisms are single-part only (PKCS#11 mechanisms §2.1).
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG>,               // C_SignUpdate
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG*>,              // C_SignFinal
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE>,  // C_SignRecoverInit
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE>,  // C_VerifyInit
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG>,
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG>,
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG>,
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE>,  // C_VerifyRecoverInit
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,  // dual-function
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG, CK_BYTE*, CK_ULONG*>,
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_ATTRIBUTE*, CK_ULONG, CK_OBJECT_HANDLE*>,
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_ATTRIBUTE*, CK_ULONG, CK_ATTRIBUTE*,
                  CK_ULONG, CK_OBJECT_HANDLE*, CK_OBJECT_HANDLE*>,  // C_GenerateKeyPair
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE, CK_OBJECT_HANDLE, CK_BYTE*,
                  CK_ULONG*>,  // C_WrapKey
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE, CK_BYTE*, CK_ULONG,
                  CK_ATTRIBUTE*, CK_ULONG, CK_OBJECT_HANDLE*>,  // C_UnwrapKey
    not_supported<CK_SESSION_HANDLE, CK_MECHANISM*, CK_OBJECT_HANDLE, CK_ATTRIBUTE*, CK_ULONG,
                  CK_OBJECT_HANDLE*>,                      // C_DeriveKey
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG>,  // C_SeedRandom
    not_supported<CK_SESSION_HANDLE, CK_BYTE*, CK_ULONG>,  // C_GenerateRandom
    not_parallel,                                          // C_GetFunctionStatus
    not_parallel,                                          // C_CancelFunction
    wait_for_slot_event,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) CK_RV C_GetFunctionList(
    CK_FUNCTION_LIST_PTR_PTR list) {
    if (!list) return CKR_ARGUMENTS_BAD;
    g_functions.C_GetFunctionList = C_GetFunctionList;
    *list = &g_functions;
    return CKR_OK;
}
