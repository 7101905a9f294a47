#pragma once
// Internal to protocol/: owners for OpenSSL handles and small helpers shared by the token, CMS
// and verifier code. Not for other folders (it pulls OpenSSL's headers in).

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/hash_algorithm.hpp"

namespace sithsd::protocol::ossl {

template <auto Fn>
struct Deleter {
    template <class T>
    void operator()(T* p) const noexcept {
        Fn(p);
    }
};

using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using OcspReqPtr = std::unique_ptr<OCSP_REQUEST, Deleter<OCSP_REQUEST_free>>;
using OcspRespPtr = std::unique_ptr<OCSP_RESPONSE, Deleter<OCSP_RESPONSE_free>>;
using OcspBasicPtr = std::unique_ptr<OCSP_BASICRESP, Deleter<OCSP_BASICRESP_free>>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, Deleter<OCSP_CERTID_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, Deleter<ASN1_STRING_free>>;
using Asn1OctetPtr = std::unique_ptr<ASN1_OCTET_STRING, Deleter<ASN1_OCTET_STRING_free>>;

struct CertStackDeleter {
    void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_pop_free(s, X509_free); }
};
using CertStackPtr = std::unique_ptr<STACK_OF(X509), CertStackDeleter>;
// A stack that borrows its certificates (sk_X509_dup): frees the stack only.
struct ShallowCertStackDeleter {
    void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_free(s); }
};
using ShallowCertStackPtr = std::unique_ptr<STACK_OF(X509), ShallowCertStackDeleter>;

// The whole input must be one DER certificate; nullptr otherwise.
X509Ptr parse_certificate_der(std::span<const std::uint8_t> der);
std::vector<std::uint8_t> certificate_der(X509* cert);

const EVP_MD* md_for(HashAlgorithm alg) noexcept;

// ECDSA: JWS and PKCS#11 use r||s (each half the size of the curve's order); CMS and OpenSSL use
// the DER ECDSA-Sig-Value. Empty vector when the input is malformed.
std::vector<std::uint8_t> ecdsa_raw_to_der(std::span<const std::uint8_t> raw);
std::vector<std::uint8_t> ecdsa_der_to_raw(std::span<const std::uint8_t> der, std::size_t half);
// Bytes of one ECDSA half (r or s) for an EC key: 32 for P-256, 48 for P-384, 66 for P-521.
std::size_t ec_half_size(EVP_PKEY* key) noexcept;
// "P-256", "P-384", "P-521", or empty.
std::string ec_curve(EVP_PKEY* key);

// Loads every certificate of a PEM file; nullopt when the file cannot be read or holds none.
std::optional<CertStackPtr> load_pem_certificates(const std::string& path);

// The text of OpenSSL's error queue (and clears it).
std::string last_error();

// RFC 3339 UTC, e.g. "2026-11-23T02:38:57Z"; empty when the time cannot be read.
std::string rfc3339(const ASN1_TIME* t);

}  // namespace sithsd::protocol::ossl
