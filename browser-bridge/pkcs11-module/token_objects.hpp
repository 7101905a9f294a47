#pragma once
// A token's objects as PKCS#11 attributes: for each certificate the daemon offers, the
// certificate, its public key and its private key (CKA_SIGN, never extractable). Values are kept
// as bytes; templates compare bytes, C_GetAttributeValue copies them out (§5.7 rules).
#include <p11-kit/pkcs11.h>

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sithsd::module {

using Bytes = std::vector<std::uint8_t>;

struct TokenObject {
    CK_OBJECT_CLASS object_class = CKO_CERTIFICATE;
    std::string certificate_id;  // the daemon's id, for moduleSign
    bool ec = false;
    CK_ULONG signature_length = 0;  // RSA: the modulus' bytes; EC: r||s
    std::map<CK_ATTRIBUTE_TYPE, Bytes> attributes;

    [[nodiscard]] bool matches(const CK_ATTRIBUTE* templ, CK_ULONG count) const;
    // Fills the template; CKR_ATTRIBUTE_TYPE_INVALID, _SENSITIVE or CKR_BUFFER_TOO_SMALL as the
    // spec asks (every attribute is still processed).
    CK_RV read(CK_ATTRIBUTE* templ, CK_ULONG count) const;
};

// False when an attribute of a search template claims bytes at a NULL pValue (C_FindObjectsInit
// then returns CKR_ARGUMENTS_BAD: see token_module.cpp).
[[nodiscard]] bool template_values_readable(const CK_ATTRIBUTE* templ, CK_ULONG count);

// The three objects of one certificate of moduleCertificates. Throws std::runtime_error on
// malformed JSON.
std::vector<TokenObject> objects_of(const boost::json::object& certificate);

}  // namespace sithsd::module
