#pragma once
// Internal to protocol/: small OpenSSL helpers shared by the token, CMS and verifier code. Not for
// other folders (it pulls OpenSSL's headers in).

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/digest.hpp"
#include "common/ecdsa_signature.hpp"
#include "common/openssl_owners.hpp"
#include "protocol/hash_algorithm.hpp"

namespace sithsd::protocol::ossl {

// The owners, md_for and the ECDSA forms live in common/; protocol code names them ossl::….
using namespace sithsd::ossl;
using sithsd::ecdsa_der_to_raw;
using sithsd::ecdsa_raw_to_der;

// The whole input must be one DER certificate; nullptr otherwise.
X509Ptr parse_certificate_der(std::span<const std::uint8_t> der);
std::vector<std::uint8_t> certificate_der(X509* cert);

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
// The same form for a clock's time, whole seconds: "2031-01-01T00:00:00Z".
std::string rfc3339(std::chrono::system_clock::time_point t);

}  // namespace sithsd::protocol::ossl
