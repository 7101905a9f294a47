#pragma once
// Certificates → identities: the SITHS profile read with OpenSSL. Knows nothing of PKCS#11.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "pkcs11/card_model.hpp"

namespace sithsd::pkcs11 {

// Parses a DER certificate; throws std::invalid_argument when it is not one.
CertificateInfo parse_certificate(std::span<const std::uint8_t> der);

// `SE` + 10-digit organisation number + `-` + 1..31 letters or digits (docs/DOMAIN.md).
bool is_hsa_id(std::string_view text);
// 12 digits YYYYMMDDNNNN, a real date (day + 60 for a samordningsnummer), Luhn check digit.
bool is_personal_identity_number(std::string_view text);
// Lower-case hex of the first 16 bytes of SHA-256 over the DER: stable across re-insertions.
std::string certificate_id(std::span<const std::uint8_t> der);

}  // namespace sithsd::pkcs11
