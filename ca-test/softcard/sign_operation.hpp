#pragma once
// One signature operation (C_SignInit … C_Sign / C_SignUpdate + C_SignFinal) with OpenSSL.

#include <p11-kit/pkcs11.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "common/openssl_owners.hpp"

namespace sithsd::softcard {

class SignOperation {
  public:
    // CKR_OK and an operation, or CKR_MECHANISM_INVALID / CKR_MECHANISM_PARAM_INVALID /
    // CKR_KEY_TYPE_INCONSISTENT.
    static CK_RV start(const CK_MECHANISM& mechanism, std::shared_ptr<EVP_PKEY> key,
                       std::unique_ptr<SignOperation>& out);

    // Mechanisms that hash inside (CKM_SHA*_RSA_PKCS, CKM_ECDSA_SHA*) allow C_SignUpdate.
    bool multipart() const { return md_ != nullptr && !prehashed_; }
    void update(const std::uint8_t* data, size_t len) {
        data_.insert(data_.end(), data, data + len);
    }
    size_t signature_length() const;
    // Signs everything given so far. CKR_DATA_LEN_RANGE when the input cannot be signed.
    CK_RV finish(std::vector<std::uint8_t>& signature);

  private:
    CK_MECHANISM_TYPE mechanism_ = 0;
    std::shared_ptr<EVP_PKEY> key_;
    const EVP_MD* md_ = nullptr;  // the hash of the mechanism (PSS: of the input)
    bool prehashed_ = false;      // PSS: the input is already the hash
    const EVP_MD* mgf1_md_ = nullptr;
    int salt_len_ = 0;
    std::vector<std::uint8_t> data_;
};

}  // namespace sithsd::softcard
