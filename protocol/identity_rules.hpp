#pragma once
// The forms of the identities a SITHS certificate carries (docs/DOMAIN.md). One definition,
// used by the card layer (pkcs11/certificate.cpp) and by the verifier (certificate_identity.cpp):
// a small library of its own (sithsd_identity_rules) with no JSON and no OpenSSL.
#include <string_view>

namespace sithsd::identity {

// HSA-ID: "SE" + the 10-digit organisation number + "-" + 1..31 ASCII letters or digits.
bool is_hsa_id(std::string_view text) noexcept;
// Personnummer or samordningsnummer (day + 60): 12 digits YYYYMMDDNNNN, a real date, and a valid
// Luhn check digit over the last ten digits.
bool is_personal_identity_number(std::string_view text) noexcept;

}  // namespace sithsd::identity
