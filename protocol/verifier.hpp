#pragma once
// The relying-party verifier: what a portal's server checks in what comes back from sithsd.
// Options are named as sithsctl's flags (--trust, --intermediates, --no-ocsp, --ocsp-url).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/certificate_identity.hpp"
#include "protocol/result.hpp"

namespace sithsd::protocol {

class OcspCache;

enum class VerifyError {
    FormatInvalid,          // not a web-eid:1 token / not a DER CMS SignedData
    AlgorithmNotAllowed,    // algorithm outside the allow list or not matching the key
    CertificateInvalid,     // the certificate cannot be parsed or its key is too weak
    SignatureInvalid,       // the signature does not verify (wrong origin, nonce, content...)
    CertificateNotTrusted,  // no chain to the trust anchors
    CertificateExpired,     // outside its validity period
    CertificateRevoked,     // OCSP says revoked (or unknown)
    WrongPurpose,           // key usage / extended key usage not for this use
    OcspUnavailable,        // no responder, or it could not be reached
    OcspInvalid,            // a response that fails a check (signature, nonce, time, ...)
};

// "FORMAT_INVALID", "ALGORITHM_NOT_ALLOWED", ...
std::string_view verify_error_name(VerifyError e) noexcept;

struct VerifyFailure {
    VerifyError reason;
    std::string detail;  // for logs: never contains the signed data
};

struct VerifierOptions {
    std::string trust;          // --trust: PEM file of trust anchors (root CAs)
    std::string intermediates;  // --intermediates: PEM file of intermediate CAs (optional)
    bool no_ocsp = false;       // --no-ocsp
    std::string ocsp_url;       // --ocsp-url: instead of the certificate's AIA
    std::chrono::seconds ocsp_timeout{10};
    std::chrono::seconds ocsp_max_age{120};   // a response's thisUpdate at most this old
    std::chrono::seconds ocsp_max_skew{900};  // clock skew allowed on thisUpdate/nextUpdate
    // Remembers checked OCSP answers until their nextUpdate (protocol/ocsp_cache.hpp), shared by
    // every verifier (and node) that shares its store; none: the responder is asked every time.
    std::shared_ptr<OcspCache> ocsp_cache;
    // The time certificates are checked at; default: now. (OCSP times are always checked
    // against now.)
    std::optional<std::chrono::system_clock::time_point> at;
};

struct CmsSignatureInfo {
    CertificateIdentity signer;
    std::optional<std::string> display_text;  // contentHints' contentDescription
    std::string signing_time;                 // RFC 3339 UTC, empty if absent
};

template <class T>
using VerifyResult = Result<T, VerifyFailure>;

class Verifier {
  public:
    // Reads the trust anchors and intermediates; throws std::runtime_error when they cannot be.
    explicit Verifier(VerifierOptions options);
    ~Verifier();
    Verifier(const Verifier&) = delete;
    Verifier& operator=(const Verifier&) = delete;

    // A web-eid:1 token (the `authenticate` result as JSON text) against the origin of this
    // server and the nonce it issued (the caller checks that the nonce is fresh and single-use).
    VerifyResult<CertificateIdentity> verify_token(std::string_view token_json,
                                                   std::string_view origin,
                                                   std::string_view challenge_nonce) const;

    // A detached CMS SignedData (DER) over `content`, made with a signature certificate.
    VerifyResult<CmsSignatureInfo> verify_cms(std::span<const std::uint8_t> cms_der,
                                              std::span<const std::uint8_t> content) const;

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace sithsd::protocol
