#pragma once
// One signature with a card's key: what is asked for (scheme, hash, digest), the DigestInfo that
// PKCS#1 v1.5 signs, and the PKCS#11 sequence on an open, logged-in session.
#include <cstdint>
#include <string>
#include <vector>

#include "common/ecdsa_signature.hpp"  // callers convert ECDSA signatures with it
#include "common/vocabulary.hpp"
#include "pkcs11/secret.hpp"

namespace sithsd::pkcs11 {

enum class SignatureScheme {
    rsa_pkcs1,  // PKCS#1 v1.5 over a DigestInfo, with CKM_RSA_PKCS (works on every RSA card)
    rsa_pss,    // CKM_RSA_PKCS_PSS, MGF1 with the same hash, salt length = hash length
    ecdsa,      // CKM_ECDSA over the digest
    // CKM_RSA_PKCS over `digest` as given: a DigestInfo a caller built (a browser's TLS 1.2
    // handshake through the PKCS#11 module); `hash` is not used.
    rsa_pkcs1_raw,
};

struct SignatureRequest {
    std::string certificate_id;
    HashAlgorithm hash = HashAlgorithm::sha256;
    std::vector<std::uint8_t> digest;
    SignatureScheme scheme = SignatureScheme::rsa_pkcs1;
    bool ecdsa_der = false;  // ECDSA as DER ECDSA-Sig-Value instead of r||s
};

// The DER DigestInfo prefix + digest that CKM_RSA_PKCS signs for PKCS#1 v1.5; throws
// std::invalid_argument when the digest's length does not match its hash.
std::vector<std::uint8_t> digest_info(HashAlgorithm hash, const std::vector<std::uint8_t>& digest);

namespace p11 {
class Session;
}

// C_SignInit, the context-specific login an always-authenticate key demands (with pin; without
// one such a key is refused), and C_Sign, on a session already logged in as the user.
std::vector<std::uint8_t> sign_on_session(p11::Session& session, const SignatureRequest& req,
                                          const std::vector<std::uint8_t>& cka_id,
                                          const Secret* pin, bool pin_pad);

}  // namespace sithsd::pkcs11
