#pragma once
// Internal to protocol/: the verifier's state and the checks shared by tokens and CMS.

#include <optional>

#include "protocol/openssl_util.hpp"
#include "protocol/verifier.hpp"

namespace sithsd::protocol {

struct Verifier::Impl {
    VerifierOptions options;
    ossl::StorePtr store;
    ossl::CertStackPtr intermediates;

    // Validity period at options.at → CERTIFICATE_EXPIRED.
    std::optional<VerifyFailure> check_validity(X509* cert) const;
    // Chain to the trust anchors; on success the issuer of `cert` (for OCSP).
    VerifyResult<ossl::X509Ptr> check_chain(X509* cert, STACK_OF(X509) * extra) const;
    // OCSP unless options.no_ocsp.
    std::optional<VerifyFailure> check_revocation(X509* cert, X509* issuer,
                                                  STACK_OF(X509) * extra) const;
};

// The OCSP exchange and every check of its answer (ocsp_check.cpp).
std::optional<VerifyFailure> check_ocsp(X509* cert, X509* issuer, X509_STORE* store,
                                        STACK_OF(X509) * untrusted, const VerifierOptions& options);

}  // namespace sithsd::protocol
