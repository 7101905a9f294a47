#include "pkcs11/module.hpp"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <filesystem>

#include "pkcs11/card_error.hpp"

namespace sithsd::pkcs11 {

Module::Module(std::string path, void* handle, CK_FUNCTION_LIST* functions, bool finalize)
    : path_(std::move(path)), handle_(handle), functions_(functions), finalize_(finalize) {}

Module::~Module() {
    finalize();
    dlclose(handle_);
}

void Module::finalize() {
    if (finalize_.exchange(false)) functions_->C_Finalize(nullptr);
}

std::shared_ptr<Module> Module::load(const std::string& path) {
    // RTLD_LOCAL: two vendor modules may export the same symbol names.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* why = dlerror();
        throw CardError(CardErrorReason::module_error,
                        "cannot load PKCS#11 module " + path + ": " + (why ? why : "unknown"));
    }
    auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
    CK_FUNCTION_LIST_PTR functions = nullptr;
    if (!get_list || get_list(&functions) != CKR_OK || !functions) {
        dlclose(handle);
        throw CardError(CardErrorReason::module_error,
                        "not a PKCS#11 module (no usable C_GetFunctionList): " + path);
    }
    // OS locking: the daemon calls in from several threads (PKCS#11 v2.40 §5.4).
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = functions->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        dlclose(handle);
        throw CardError(CardErrorReason::module_error,
                        "C_Initialize of " + path + " failed: " + ckr_name(rv), "C_Initialize", rv);
    }
    return std::shared_ptr<Module>(new Module(path, handle, functions, rv == CKR_OK));
}

std::string Module::find(const std::vector<std::string>& candidates) {
    std::string tried;
    for (const auto& candidate : candidates) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
        tried += (tried.empty() ? "" : ", ") + candidate;
    }
    throw CardError(CardErrorReason::module_error,
                    "no PKCS#11 module found; tried: " + (tried.empty() ? "(none)" : tried));
}

std::vector<std::string> Module::default_candidates(const std::string& home) {
    // Net iD Enterprise first (the SITHS middleware), then OpenSC (PIV, IDPrime and the other card
    // types it serves). The places the installers and distributions use (docs/REAL-CARDS.md):
    // Net iD's per-user install, the multiarch and lib64 folders of the packaged installs, /opt
    // and /usr/local of the tarball installs; OpenSC's Debian, Fedora and Arch folders.
    std::vector<std::string> paths;
    if (!home.empty()) paths.push_back(home + "/.iid/lib/libiidp11.so");
    const std::vector<std::string> folders{"/usr/lib/x86_64-linux-gnu",
                                           "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
                                           "/usr/local/lib"};
    for (const auto& folder : folders) paths.push_back(folder + "/libiidp11.so");
    paths.insert(paths.end(), {"/opt/iid/lib/libiidp11.so", "/opt/netid/lib/libiidp11.so"});
    for (const auto& folder : folders) {
        paths.push_back(folder + "/opensc-pkcs11.so");
        paths.push_back(folder + "/pkcs11/opensc-pkcs11.so");
    }
    return paths;
}

}  // namespace sithsd::pkcs11
