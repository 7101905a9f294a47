#include "ca-test/softcard/sign_operation.hpp"

#include <openssl/rsa.h>

#include "common/ecdsa_signature.hpp"

namespace sithsd::softcard {

namespace {

const EVP_MD* md_of_hash_mechanism(CK_MECHANISM_TYPE m) {
    switch (m) {
        case CKM_SHA_1:
            return EVP_sha1();
        case CKM_SHA224:
            return EVP_sha224();
        case CKM_SHA256:
            return EVP_sha256();
        case CKM_SHA384:
            return EVP_sha384();
        case CKM_SHA512:
            return EVP_sha512();
        default:
            return nullptr;
    }
}

const EVP_MD* md_of_mgf(CK_RSA_PKCS_MGF_TYPE mgf) {
    switch (mgf) {
        case CKG_MGF1_SHA1:
            return EVP_sha1();
        case CKG_MGF1_SHA224:
            return EVP_sha224();
        case CKG_MGF1_SHA256:
            return EVP_sha256();
        case CKG_MGF1_SHA384:
            return EVP_sha384();
        case CKG_MGF1_SHA512:
            return EVP_sha512();
        default:
            return nullptr;
    }
}

}  // namespace

CK_RV SignOperation::start(const CK_MECHANISM& mechanism, std::shared_ptr<EVP_PKEY> key,
                           std::unique_ptr<SignOperation>& out) {
    auto op = std::make_unique<SignOperation>();
    op->mechanism_ = mechanism.mechanism;
    const bool rsa = EVP_PKEY_is_a(key.get(), "RSA");
    const bool ec = EVP_PKEY_is_a(key.get(), "EC");
    switch (mechanism.mechanism) {
        case CKM_RSA_PKCS:
            break;
        case CKM_SHA256_RSA_PKCS:
            op->md_ = EVP_sha256();
            break;
        case CKM_SHA384_RSA_PKCS:
            op->md_ = EVP_sha384();
            break;
        case CKM_SHA512_RSA_PKCS:
            op->md_ = EVP_sha512();
            break;
        case CKM_RSA_PKCS_PSS: {
            if (mechanism.pParameter == nullptr ||
                mechanism.ulParameterLen != sizeof(CK_RSA_PKCS_PSS_PARAMS))
                return CKR_MECHANISM_PARAM_INVALID;
            const auto* params = static_cast<const CK_RSA_PKCS_PSS_PARAMS*>(mechanism.pParameter);
            op->md_ = md_of_hash_mechanism(params->hashAlg);
            op->mgf1_md_ = md_of_mgf(params->mgf);
            if (!op->md_ || !op->mgf1_md_) return CKR_MECHANISM_PARAM_INVALID;
            op->salt_len_ = static_cast<int>(params->sLen);
            op->prehashed_ = true;
            break;
        }
        case CKM_ECDSA:
            break;
        case CKM_ECDSA_SHA256:
            op->md_ = EVP_sha256();
            break;
        case CKM_ECDSA_SHA384:
            op->md_ = EVP_sha384();
            break;
        case CKM_ECDSA_SHA512:
            op->md_ = EVP_sha512();
            break;
        default:
            return CKR_MECHANISM_INVALID;
    }
    const bool ec_mechanism =
        mechanism.mechanism == CKM_ECDSA || mechanism.mechanism == CKM_ECDSA_SHA256 ||
        mechanism.mechanism == CKM_ECDSA_SHA384 || mechanism.mechanism == CKM_ECDSA_SHA512;
    if ((ec_mechanism && !ec) || (!ec_mechanism && !rsa)) return CKR_KEY_TYPE_INCONSISTENT;
    if (!ec_mechanism && mechanism.mechanism != CKM_RSA_PKCS_PSS && mechanism.pParameter != nullptr)
        return CKR_MECHANISM_PARAM_INVALID;
    op->key_ = std::move(key);
    out = std::move(op);
    return CKR_OK;
}

size_t SignOperation::signature_length() const {
    if (EVP_PKEY_is_a(key_.get(), "EC"))
        return 2 * static_cast<size_t>((EVP_PKEY_get_bits(key_.get()) + 7) / 8);
    return static_cast<size_t>(EVP_PKEY_get_size(key_.get()));
}

CK_RV SignOperation::finish(std::vector<std::uint8_t>& signature) {
    const bool ec = EVP_PKEY_is_a(key_.get(), "EC");
    // The bytes the key signs: the input itself, or its hash for the hashing ECDSA mechanisms.
    std::vector<std::uint8_t> input = data_;
    if (ec && md_) {
        input.resize(EVP_MAX_MD_SIZE);
        unsigned int n = 0;
        if (EVP_Digest(data_.data(), data_.size(), input.data(), &n, md_, nullptr) != 1)
            return CKR_FUNCTION_FAILED;
        input.resize(n);
    }
    if (!ec && md_ && !prehashed_) {
        // CKM_SHAx_RSA_PKCS: hash, DigestInfo and PKCS#1 v1.5 in one step.
        ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
        size_t len = 0;
        if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md_, nullptr, key_.get()) != 1 ||
            EVP_DigestSign(ctx.get(), nullptr, &len, data_.data(), data_.size()) != 1)
            return CKR_FUNCTION_FAILED;
        signature.resize(len);
        if (EVP_DigestSign(ctx.get(), signature.data(), &len, data_.data(), data_.size()) != 1)
            return CKR_FUNCTION_FAILED;
        signature.resize(len);
        return CKR_OK;
    }
    ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) return CKR_FUNCTION_FAILED;
    if (!ec) {
        const size_t k = static_cast<size_t>(EVP_PKEY_get_size(key_.get()));
        if (prehashed_) {
            // CKM_RSA_PKCS_PSS signs a hash of exactly the parameters' hash length.
            if (input.size() != static_cast<size_t>(EVP_MD_get_size(md_)))
                return CKR_DATA_LEN_RANGE;
            if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
                EVP_PKEY_CTX_set_signature_md(ctx.get(), md_) != 1 ||
                EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), mgf1_md_) != 1 ||
                EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), salt_len_) != 1)
                return CKR_MECHANISM_PARAM_INVALID;
        } else {
            // CKM_RSA_PKCS: the input is an already built DigestInfo; only pad (type 1) and sign.
            if (input.size() + 11 > k) return CKR_DATA_LEN_RANGE;
            if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1)
                return CKR_FUNCTION_FAILED;
        }
    }
    size_t len = 0;
    if (EVP_PKEY_sign(ctx.get(), nullptr, &len, input.data(), input.size()) != 1)
        return CKR_FUNCTION_FAILED;
    std::vector<std::uint8_t> out(len);
    if (EVP_PKEY_sign(ctx.get(), out.data(), &len, input.data(), input.size()) != 1)
        return CKR_FUNCTION_FAILED;
    out.resize(len);
    if (!ec) {
        signature = std::move(out);
        return CKR_OK;
    }
    // OpenSSL gives DER; PKCS#11 wants r || s, each as long as the group order.
    signature = ecdsa_der_to_raw(out, signature_length() / 2);
    return signature.empty() ? CKR_FUNCTION_FAILED : CKR_OK;
}

}  // namespace sithsd::softcard
