#include "pkcs11/signature.hpp"

#include <stdexcept>

#include "common/digest.hpp"
#include "common/ecdsa_signature.hpp"
#include "pkcs11/p11.hpp"

namespace sithsd::pkcs11 {
namespace {

CK_MECHANISM_TYPE hash_mechanism(HashAlgorithm hash) {
    switch (hash) {
        case HashAlgorithm::sha384:
            return CKM_SHA384;
        case HashAlgorithm::sha512:
            return CKM_SHA512;
        default:
            return CKM_SHA256;
    }
}

CK_RSA_PKCS_MGF_TYPE mgf(HashAlgorithm hash) {
    switch (hash) {
        case HashAlgorithm::sha384:
            return CKG_MGF1_SHA384;
        case HashAlgorithm::sha512:
            return CKG_MGF1_SHA512;
        default:
            return CKG_MGF1_SHA256;
    }
}

}  // namespace

std::vector<std::uint8_t> digest_info(HashAlgorithm hash, const std::vector<std::uint8_t>& digest) {
    // RFC 8017 §9.2 note 1: the DER prefixes of DigestInfo for SHA-256/384/512.
    static const std::vector<std::uint8_t> sha256 = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                                     0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                                     0x01, 0x05, 0x00, 0x04, 0x20};
    static const std::vector<std::uint8_t> sha384 = {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                                     0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                                     0x02, 0x05, 0x00, 0x04, 0x30};
    static const std::vector<std::uint8_t> sha512 = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                                     0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                                     0x03, 0x05, 0x00, 0x04, 0x40};
    if (digest.size() != hash_size(hash))
        throw std::invalid_argument("digest length does not match its hash");
    std::vector<std::uint8_t> out = hash == HashAlgorithm::sha384   ? sha384
                                    : hash == HashAlgorithm::sha512 ? sha512
                                                                    : sha256;
    out.insert(out.end(), digest.begin(), digest.end());
    return out;
}

// C_SignInit, the context-specific login an always-authenticate key demands (PKCS#11 v2.40
// §5.2: before every C_Sign), and C_Sign.
std::vector<std::uint8_t> sign_on_session(p11::Session& session, const SignatureRequest& req,
                                          const std::vector<std::uint8_t>& cka_id,
                                          const Secret* pin, bool pin_pad) {
    CK_FUNCTION_LIST* f = session.f();
    auto keys = session.find(CKO_PRIVATE_KEY, &cka_id);
    if (keys.empty())
        throw CardError(CardErrorReason::certificate_not_found,
                        "the card holds no key for this certificate");
    CK_OBJECT_HANDLE key = keys.front();
    bool always_authenticate = session.flag(key, CKA_ALWAYS_AUTHENTICATE).value_or(false);

    std::vector<std::uint8_t> input = req.digest;
    CK_RSA_PKCS_PSS_PARAMS pss{hash_mechanism(req.hash), mgf(req.hash), req.digest.size()};
    CK_MECHANISM mechanism{CKM_RSA_PKCS, nullptr, 0};
    switch (req.scheme) {
        case SignatureScheme::rsa_pkcs1:
            input = digest_info(req.hash, req.digest);
            break;
        case SignatureScheme::rsa_pkcs1_raw:
            break;
        case SignatureScheme::rsa_pss:
            mechanism = {CKM_RSA_PKCS_PSS, &pss, sizeof pss};
            break;
        case SignatureScheme::ecdsa:
            mechanism = {CKM_ECDSA, nullptr, 0};
            break;
    }
    check(f->C_SignInit(session.handle(), &mechanism, key), "C_SignInit");
    if (always_authenticate) {
        if (!pin) {
            // A kept identification login cannot serve an always-authenticate key: end the
            // operation.
            std::uint8_t dummy[1024];
            CK_ULONG n = sizeof dummy;
            f->C_Sign(session.handle(), input.data(), input.size(), dummy, &n);
            throw CardError(CardErrorReason::token_error, "key needs its PIN for every signature",
                            "C_Sign", CKR_USER_NOT_LOGGED_IN);
        }
        p11::Login context(session, CKU_CONTEXT_SPECIFIC, pin, pin_pad);
    }
    // One C_Sign with room for any RSA-8192 or ECDSA signature: a length query first would be a
    // second C_Sign, which some modules count against the context-specific login.
    std::vector<std::uint8_t> signature(1024);
    CK_ULONG length = signature.size();
    check(f->C_Sign(session.handle(), input.data(), input.size(), signature.data(), &length),
          "C_Sign");
    signature.resize(length);
    if (req.scheme != SignatureScheme::ecdsa || !req.ecdsa_der) return signature;
    auto der = ecdsa_raw_to_der(signature);
    if (der.empty())
        throw CardError(CardErrorReason::token_error, "the card gave a malformed ECDSA signature",
                        "C_Sign");
    return der;
}

}  // namespace sithsd::pkcs11
