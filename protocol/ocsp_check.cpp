// OCSP (RFC 6960) for the verifier: request with a nonce, sent over HTTP with a timeout, and the
// answer checked as Web eID's validator does.
#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/httperr.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <string>
#include <vector>

#include "protocol/verifier_impl.hpp"

namespace sithsd::protocol {
namespace {

constexpr std::size_t kMaxResponseBytes = std::size_t{100} * 1024;

struct Url {
    std::string host, port, path;
};

std::optional<Url> parse_http_url(const std::string& url) {
    int ssl = 0;
    char* host = nullptr;
    char* port = nullptr;
    char* path = nullptr;
    if (OSSL_HTTP_parse_url(url.c_str(), &ssl, nullptr, &host, &port, nullptr, &path, nullptr,
                            nullptr) != 1) {
        return std::nullopt;
    }
    Url out{host ? host : "", port ? port : "80", path && *path ? path : "/"};
    OPENSSL_free(host);
    OPENSSL_free(port);
    OPENSSL_free(path);
    if (ssl) return std::nullopt;  // OCSP is plain HTTP (it is signed); https is not offered
    return out;
}

// After a failed transfer: did the responder answer with a body that is no DER? (The first error
// on the queue says why the transfer failed; later ones only that receiving failed.)
bool answered_garbage() {
    const unsigned long e = ERR_peek_error();
    return ERR_GET_LIB(e) == ERR_LIB_HTTP && ERR_GET_REASON(e) == HTTP_R_MISSING_ASN1_ENCODING;
}

std::string responder_url(X509* cert, const VerifierOptions& options) {
    if (!options.ocsp_url.empty()) return options.ocsp_url;
    STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(cert);
    std::string url;
    if (urls && sk_OPENSSL_STRING_num(urls) > 0) url = sk_OPENSSL_STRING_value(urls, 0);
    X509_email_free(urls);
    return url;
}

std::optional<std::chrono::system_clock::time_point> to_time_point(const ASN1_GENERALIZEDTIME* t) {
    std::tm tm{};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

std::string ocsp_cert_key(X509* cert, X509* issuer) {
    ossl::OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha1(), cert, issuer));
    unsigned char* der = nullptr;
    const int length = id ? i2d_OCSP_CERTID(id.get(), &der) : -1;
    if (length <= 0) return {};
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_length = 0;
    const bool hashed = EVP_Digest(der, static_cast<std::size_t>(length), digest, &digest_length,
                                   EVP_sha256(), nullptr) == 1;
    OPENSSL_free(der);
    if (!hashed) return {};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string key;
    for (unsigned int i = 0; i < digest_length; ++i) {
        key += kHex[digest[i] >> 4];
        key += kHex[digest[i] & 0x0f];
    }
    return key;
}

VerifyResult<OcspAnswer> ask_ocsp(X509* cert, X509* issuer, X509_STORE* store,
                                  STACK_OF(X509) * untrusted, const VerifierOptions& options) {
    const std::string url = responder_url(cert, options);
    if (url.empty()) return VerifyFailure{VerifyError::OcspUnavailable, "no OCSP responder"};
    const auto where = parse_http_url(url);
    if (!where) return VerifyFailure{VerifyError::OcspUnavailable, "unusable OCSP URL " + url};

    ossl::OcspReqPtr request(OCSP_REQUEST_new());
    OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
    if (!request || !id || !OCSP_request_add0_id(request.get(), id)) {
        OCSP_CERTID_free(id);
        return VerifyFailure{VerifyError::OcspUnavailable, "cannot make an OCSP request"};
    }
    // The request owns `id` now; keep a copy to find the answer by.
    ossl::OcspCertIdPtr wanted(OCSP_CERTID_dup(id));
    if (OCSP_request_add1_nonce(request.get(), nullptr, 32) != 1) {
        return VerifyFailure{VerifyError::OcspUnavailable, "cannot add an OCSP nonce"};
    }

    ossl::BioPtr body(ASN1_item_i2d_mem_bio(ASN1_ITEM_rptr(OCSP_REQUEST),
                                            reinterpret_cast<const ASN1_VALUE*>(request.get())));
    // proxy "" means no proxy: a responder is reached directly, never through http_proxy.
    // expect_asn1: the body is read whole into memory (a streamed body would be read from a
    // non-blocking socket).
    ossl::BioPtr answer(OSSL_HTTP_transfer(
        nullptr, where->host.c_str(), where->port.c_str(), where->path.c_str(), 0, "", nullptr,
        nullptr, nullptr, nullptr, nullptr, 0, nullptr, "application/ocsp-request", body.get(),
        nullptr, 1, kMaxResponseBytes, static_cast<int>(options.ocsp_timeout.count()), 0));
    if (!answer) {
        // An answer came, but its body is no DER: the responder is there and answers wrongly.
        if (answered_garbage()) {
            return VerifyFailure{VerifyError::OcspInvalid,
                                 "not an OCSP response: " + ossl::last_error()};
        }
        return VerifyFailure{VerifyError::OcspUnavailable,
                             "OCSP responder " + url + " not reachable: " + ossl::last_error()};
    }
    ossl::OcspRespPtr response(d2i_OCSP_RESPONSE_bio(answer.get(), nullptr));
    if (!response) return VerifyFailure{VerifyError::OcspInvalid, "not an OCSP response"};
    const int status = OCSP_response_status(response.get());
    if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        return VerifyFailure{VerifyError::OcspInvalid, std::string("OCSP responder answered ") +
                                                           OCSP_response_status_str(status)};
    }
    ossl::OcspBasicPtr basic(OCSP_response_get1_basic(response.get()));
    if (!basic) return VerifyFailure{VerifyError::OcspInvalid, "no basic OCSP response"};
    if (OCSP_check_nonce(request.get(), basic.get()) != 1) {
        return VerifyFailure{VerifyError::OcspInvalid, "OCSP nonce missing or different"};
    }
    // Signature, responder chain to the trust anchors, and the responder's authority: the issuing
    // CA itself, or a certificate it issued with EKU OCSPSigning (RFC 6960 4.2.2.2).
    if (OCSP_basic_verify(basic.get(), untrusted, store, 0) != 1) {
        return VerifyFailure{
            VerifyError::OcspInvalid,
            "OCSP response signature or responder not authorized: " + ossl::last_error()};
    }
    int cert_status = -1;
    int reason = 0;
    ASN1_GENERALIZEDTIME* revoked_at = nullptr;
    ASN1_GENERALIZEDTIME* this_update = nullptr;
    ASN1_GENERALIZEDTIME* next_update = nullptr;
    if (OCSP_resp_find_status(basic.get(), wanted.get(), &cert_status, &reason, &revoked_at,
                              &this_update, &next_update) != 1) {
        return VerifyFailure{VerifyError::OcspInvalid,
                             "the OCSP response does not name the certificate"};
    }
    if (OCSP_check_validity(this_update, next_update, options.ocsp_max_skew.count(),
                            options.ocsp_max_age.count()) != 1) {
        ossl::last_error();
        return VerifyFailure{VerifyError::OcspInvalid,
                             "the OCSP response is too old or not yet valid"};
    }
    OcspAnswer checked{{cert_status == V_OCSP_CERTSTATUS_GOOD, {}}, to_time_point(next_update)};
    if (cert_status == V_OCSP_CERTSTATUS_REVOKED) {
        checked.verdict.detail = "revoked at " + ossl::rfc3339(revoked_at);
    } else if (cert_status != V_OCSP_CERTSTATUS_GOOD) {
        checked.verdict.detail = "OCSP status unknown";
    }
    return checked;
}

}  // namespace sithsd::protocol
