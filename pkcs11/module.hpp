#pragma once
// A loaded PKCS#11 module: dlopen, C_GetFunctionList, C_Initialize with OS locking, and C_Finalize
// and dlclose when the last owner lets go. main() loads the modules and passes them down; there is
// no global registry.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

// p11-kit's pkcs11.h names the function list struct _CK_FUNCTION_LIST (its ck_function_list is a
// macro for it); declared here so that pkcs11.h stays out of this header.
struct _CK_FUNCTION_LIST;  // NOLINT(bugprone-reserved-identifier): the header's own name

namespace sithsd::pkcs11 {

class Module {
  public:
    // Loads the module at path; throws CardError(module_error) naming the path and the reason.
    static std::shared_ptr<Module> load(const std::string& path);
    // The first of the candidates that exists; throws CardError(module_error) naming all of them.
    static std::string find(const std::vector<std::string>& candidates);
    // Net iD's usual places (the first under the user's home), then OpenSC's module: the
    // default when the config names none.
    static std::vector<std::string> default_candidates(const std::string& home);

    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;
    ~Module();

    const std::string& path() const { return path_; }
    _CK_FUNCTION_LIST* functions() const { return functions_; }
    // Whether C_WaitForSlotEvent works (false when the module says CKR_FUNCTION_NOT_SUPPORTED).
    bool supports_slot_events() const { return slot_events_; }
    void set_supports_slot_events(bool supported) { slot_events_ = supported; }

    // Whether we initialised the module (not CKR_CRYPTOKI_ALREADY_INITIALIZED), so that we may
    // finalise it.
    bool owns_initialization() const { return finalize_.load(); }
    // C_Finalize now, once, if we initialised the module; every later call into it fails. The one
    // way to end a C_WaitForSlotEvent that blocks in another thread (PKCS#11 v2.40 §5.4.2: it
    // returns CKR_CRYPTOKI_NOT_INITIALIZED). The destructor does it otherwise.
    void finalize();

  private:
    Module(std::string path, void* handle, _CK_FUNCTION_LIST* functions, bool finalize);

    std::string path_;
    void* handle_;
    _CK_FUNCTION_LIST* functions_;
    std::atomic<bool> finalize_;  // we initialised it and have not finalised it yet
    bool slot_events_ = true;
};

}  // namespace sithsd::pkcs11
