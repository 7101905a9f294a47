#pragma once
// What every softcard test needs: a private copy of the test world (tests change PIN counters
// and insertions), softcard-ctl, and the module loaded with dlopen + C_GetFunctionList as any
// PKCS#11 client loads a vendor module.

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <p11-kit/pkcs11.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sithsd::softcard::test {

using Bytes = std::vector<std::uint8_t>;

// A copy of ${SITHSD_WORLD}'s softcard.json and cards/ in a fresh temporary folder.
class PrivateWorld {
  public:
    PrivateWorld();
    ~PrivateWorld();
    PrivateWorld(const PrivateWorld&) = delete;
    PrivateWorld& operator=(const PrivateWorld&) = delete;

    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path conf() const { return dir_ / "softcard.json"; }
    std::filesystem::path card_file(const std::string& card, const std::string& file) const {
        return dir_ / "cards" / card / file;
    }
    // Runs `softcard-ctl DIR args`; returns its exit code.
    int ctl(const std::string& args) const;
    // The output of `softcard-ctl DIR args`.
    std::string ctl_output(const std::string& args) const;

  private:
    std::filesystem::path dir_;
};

// libsoftcard.so, dlopen'ed with SOFTCARD_CONF pointing at a world.
class LoadedModule {
  public:
    explicit LoadedModule(const PrivateWorld& world);
    ~LoadedModule();
    LoadedModule(const LoadedModule&) = delete;
    LoadedModule& operator=(const LoadedModule&) = delete;

    CK_FUNCTION_LIST* operator->() const { return f_; }
    CK_FUNCTION_LIST* functions() const { return f_; }
    CK_RV initialize();  // with CKF_OS_LOCKING_OK
    CK_RV finalize() { return f_->C_Finalize(nullptr); }

    // Helpers that assert on the way.
    std::vector<CK_SLOT_ID> slots(bool token_present) const;
    CK_TOKEN_INFO token_info(CK_SLOT_ID slot) const;
    CK_SESSION_HANDLE open(CK_SLOT_ID slot, bool rw = false) const;
    CK_RV login(CK_SESSION_HANDLE s, CK_USER_TYPE user, const std::string& pin) const;
    std::vector<CK_OBJECT_HANDLE> find(CK_SESSION_HANDLE s, std::vector<CK_ATTRIBUTE> templ) const;
    CK_OBJECT_HANDLE find_one(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, std::uint8_t id) const;
    Bytes attribute(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type) const;
    // C_SignInit + (C_Login(CKU_CONTEXT_SPECIFIC) when context_pin is given) + C_Sign.
    CK_RV sign(CK_SESSION_HANDLE s, CK_MECHANISM mechanism, CK_OBJECT_HANDLE key, const Bytes& data,
               Bytes& signature, const char* context_pin = nullptr) const;

  private:
    void* handle_ = nullptr;
    CK_FUNCTION_LIST* f_ = nullptr;
};

// Checks a signature with OpenSSL against the public key of a PEM certificate. `rsa_mode`:
// "pkcs1" (data is hashed with `md`), "pss" (data is the hash), "ecdsa" (r||s over the hash of
// data, or over data itself when md is empty).
bool verify_with_certificate(const std::filesystem::path& cert_pem, const std::string& mode,
                             const std::string& md, const Bytes& data, const Bytes& signature);

Bytes sha256(const Bytes& data);
Bytes file_bytes(const std::filesystem::path& path);
Bytes text(const std::string& s);
Bytes der_of_pem_certificate(const std::filesystem::path& cert_pem);

constexpr CK_SLOT_ID kTolvanId = 0, kTolvanSign = 1, kUllaId = 2, kUllaSign = 3;
constexpr CK_SLOT_ID kNysignId = 4, kLockedId = 10, kLockedSign = 11, kPinpadId = 12;

}  // namespace sithsd::softcard::test
