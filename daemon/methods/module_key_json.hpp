#pragma once
// The public key of a certificate as the browser module's key objects need it (PKCS#11 attributes
// as base64): RSA {"modulus", "publicExponent"}, EC {"ecParams" (the curve's DER OID), "ecPoint"
// (the uncompressed point, unwrapped)}. Done here so that the module needs no crypto library.
#include <boost/json/object.hpp>
#include <cstdint>
#include <vector>

namespace sithsd::daemon {

// Throws std::runtime_error for a certificate whose key cannot be read.
boost::json::object public_key_json(const std::vector<std::uint8_t>& certificate_der);

// {"subject", "issuer", "serialNumber"} as DER (base64): the certificate object's CKA_SUBJECT,
// CKA_ISSUER and CKA_SERIAL_NUMBER, by which NSS finds a certificate's key and chain.
boost::json::object certificate_names_json(const std::vector<std::uint8_t>& certificate_der);

}  // namespace sithsd::daemon
