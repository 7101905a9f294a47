#pragma once
// Detached CMS SignedData (CAdES-BES) made with a key that stays on the card (PROTOCOL.md `sign`
// with format "cms"). Signed attributes: contentType (id-data), messageDigest, signingTime,
// signingCertificateV2 (ESS, SHA-256) and contentHints (RFC 2634) whose contentDescription is the
// displayText. The signer certificate is included. RSA keys sign with PKCS#1 v1.5.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "protocol/hash_algorithm.hpp"
#include "protocol/signer.hpp"

namespace sithsd::protocol {

struct CmsSignInput {
    std::span<const std::uint8_t> certificate_der;
    std::string_view display_text;
    HashAlgorithm hash_algorithm = HashAlgorithm::sha256;
    // The content's digest made with hash_algorithm (from data, or the hash a client sent).
    std::span<const std::uint8_t> content_digest;
    // Default: now.
    std::optional<std::chrono::system_clock::time_point> signing_time;
    // DER certificates to include besides the signer's, e.g. the issuing CA, so that
    // `openssl cms -verify -CAfile ROOT` finds the whole chain.
    std::vector<std::vector<std::uint8_t>> extra_certificates;
};

// The DER of the SignedData ContentInfo. The signer is asked to sign the digest (with
// hash_algorithm) of the DER SET OF the signed attributes. Throws std::invalid_argument for an
// unusable certificate or a digest of the wrong length, std::runtime_error when OpenSSL fails.
std::vector<std::uint8_t> build_cms(const CmsSignInput& input, const DigestSigner& signer);

// Convenience: digests `data` with hash_algorithm, then build_cms.
std::vector<std::uint8_t> build_cms_from_data(
    std::span<const std::uint8_t> certificate_der, std::string_view display_text,
    std::span<const std::uint8_t> data, HashAlgorithm hash_algorithm, const DigestSigner& signer,
    std::vector<std::vector<std::uint8_t>> extra_certificates = {});

}  // namespace sithsd::protocol
