#pragma once
// Internal to protocol/: the verifier's state and the checks shared by tokens and CMS.

#include <chrono>
#include <optional>
#include <string>

#include "protocol/ocsp_cache.hpp"
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

// A responder's answer that passed every check: its verdict and until when it holds.
struct OcspAnswer {
    OcspVerdict verdict;
    std::optional<std::chrono::system_clock::time_point> next_update;
};

// The OCSP exchange and every check of its answer (ocsp_check.cpp). An error is a responder
// that could not be asked or answered wrongly; a revoked certificate is an answer.
VerifyResult<OcspAnswer> ask_ocsp(X509* cert, X509* issuer, X509_STORE* store,
                                  STACK_OF(X509) * untrusted, const VerifierOptions& options);
// What the status of `cert` is remembered under: the hex SHA-256 of the DER of its OCSP CertID
// (issuer name and key hashes, serial number).
std::string ocsp_cert_key(X509* cert, X509* issuer);

}  // namespace sithsd::protocol
