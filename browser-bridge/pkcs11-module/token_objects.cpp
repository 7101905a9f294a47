#include "browser-bridge/pkcs11-module/token_objects.hpp"

#include <cstring>
#include <stdexcept>

#include "protocol/base64.hpp"

namespace sithsd::module {

namespace {

Bytes ulong_bytes(CK_ULONG value) {
    Bytes b(sizeof value);
    std::memcpy(b.data(), &value, sizeof value);
    return b;
}
Bytes bool_bytes(bool value) {
    return Bytes{static_cast<std::uint8_t>(value ? CK_TRUE : CK_FALSE)};
}
Bytes text_bytes(std::string_view text) {
    return Bytes(text.begin(), text.end());
}

const boost::json::string& text(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || !v->is_string())
        throw std::runtime_error("moduleCertificates without " + std::string(key));
    return v->get_string();
}
Bytes base64(const boost::json::object& o, std::string_view key) {
    auto bytes = protocol::base64_decode(text(o, key));
    if (!bytes) throw std::runtime_error("moduleCertificates: bad base64 in " + std::string(key));
    return *bytes;
}

// The DER OCTET STRING around an EC point, as CKA_EC_POINT holds it (short or long length form).
Bytes der_octet_string(const Bytes& point) {
    Bytes out{0x04};
    if (point.size() < 0x80) {
        out.push_back(static_cast<std::uint8_t>(point.size()));
    } else {
        out.push_back(0x81);
        out.push_back(static_cast<std::uint8_t>(point.size()));
    }
    out.insert(out.end(), point.begin(), point.end());
    return out;
}

}  // namespace

bool template_values_readable(const CK_ATTRIBUTE* templ, CK_ULONG count) {
    for (CK_ULONG i = 0; i < count; ++i)
        if (!templ[i].pValue && templ[i].ulValueLen != 0) return false;
    return true;
}

bool TokenObject::matches(const CK_ATTRIBUTE* templ, CK_ULONG count) const {
    for (CK_ULONG i = 0; i < count; ++i) {
        const auto found = attributes.find(templ[i].type);
        if (found == attributes.end()) return false;
        const Bytes& have = found->second;
        if (templ[i].ulValueLen != have.size()) return false;
        // find_init refuses a NULL value with a length; this never reads through one either.
        if (!have.empty() &&
            (!templ[i].pValue || std::memcmp(templ[i].pValue, have.data(), have.size()) != 0))
            return false;
    }
    return true;
}

CK_RV TokenObject::read(CK_ATTRIBUTE* templ, CK_ULONG count) const {
    CK_RV rv = CKR_OK;
    for (CK_ULONG i = 0; i < count; ++i) {
        CK_ATTRIBUTE& a = templ[i];
        if (object_class == CKO_PRIVATE_KEY && a.type == CKA_VALUE) {
            a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
            rv = CKR_ATTRIBUTE_SENSITIVE;
            continue;
        }
        const auto found = attributes.find(a.type);
        if (found == attributes.end()) {
            a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
            rv = CKR_ATTRIBUTE_TYPE_INVALID;
            continue;
        }
        const Bytes& value = found->second;
        if (!a.pValue) {
            a.ulValueLen = value.size();
        } else if (a.ulValueLen < value.size()) {
            a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
            rv = CKR_BUFFER_TOO_SMALL;
        } else {
            if (!value.empty()) std::memcpy(a.pValue, value.data(), value.size());
            a.ulValueLen = value.size();
        }
    }
    return rv;
}

std::vector<TokenObject> objects_of(const boost::json::object& certificate) {
    const bool ec = text(certificate, "keyType") == "EC";
    const auto* bits = certificate.if_contains("keyBits");
    const auto* key = certificate.if_contains("publicKey");
    if (!bits || !bits->is_int64() || !key || !key->is_object())
        throw std::runtime_error("moduleCertificates without keyBits or publicKey");
    const auto key_bits = static_cast<CK_ULONG>(bits->as_int64());
    const auto& public_key = key->as_object();

    std::map<CK_ATTRIBUTE_TYPE, Bytes> common{
        {CKA_TOKEN, bool_bytes(true)},
        {CKA_PRIVATE, bool_bytes(false)},  // visible without a login: the token needs none
        {CKA_MODIFIABLE, bool_bytes(false)},
        {CKA_LABEL, text_bytes(text(certificate, "label"))},
        {CKA_ID, base64(certificate, "id")},
        {CKA_SUBJECT, base64(certificate, "subject")},
    };
    std::map<CK_ATTRIBUTE_TYPE, Bytes> key_parts{
        {CKA_KEY_TYPE, ulong_bytes(ec ? CKK_EC : CKK_RSA)},
        {CKA_LOCAL, bool_bytes(false)},
        {CKA_DERIVE, bool_bytes(false)},
    };
    if (ec) {
        key_parts[CKA_EC_PARAMS] = base64(public_key, "ecParams");
    } else {
        key_parts[CKA_MODULUS] = base64(public_key, "modulus");
        key_parts[CKA_PUBLIC_EXPONENT] = base64(public_key, "publicExponent");
        key_parts[CKA_MODULUS_BITS] = ulong_bytes(key_bits);
    }

    TokenObject cert{CKO_CERTIFICATE, std::string(text(certificate, "certificateId")), ec, 0,
                     common};
    cert.attributes[CKA_CLASS] = ulong_bytes(CKO_CERTIFICATE);
    cert.attributes[CKA_CERTIFICATE_TYPE] = ulong_bytes(CKC_X_509);
    cert.attributes[CKA_CERTIFICATE_CATEGORY] = ulong_bytes(1);  // token user
    cert.attributes[CKA_TRUSTED] = bool_bytes(false);
    cert.attributes[CKA_VALUE] = base64(certificate, "certificate");
    cert.attributes[CKA_ISSUER] = base64(certificate, "issuer");
    cert.attributes[CKA_SERIAL_NUMBER] = base64(certificate, "serialNumber");

    TokenObject pub = cert;
    pub.object_class = CKO_PUBLIC_KEY;
    pub.attributes = common;
    pub.attributes.insert(key_parts.begin(), key_parts.end());
    pub.attributes[CKA_CLASS] = ulong_bytes(CKO_PUBLIC_KEY);
    pub.attributes[CKA_VERIFY] = bool_bytes(true);
    pub.attributes[CKA_ENCRYPT] = bool_bytes(false);
    pub.attributes[CKA_WRAP] = bool_bytes(false);
    if (ec) pub.attributes[CKA_EC_POINT] = der_octet_string(base64(public_key, "ecPoint"));

    TokenObject priv = cert;
    priv.object_class = CKO_PRIVATE_KEY;
    priv.attributes = common;
    priv.attributes.insert(key_parts.begin(), key_parts.end());
    priv.attributes[CKA_CLASS] = ulong_bytes(CKO_PRIVATE_KEY);
    priv.attributes[CKA_SIGN] = bool_bytes(true);
    for (auto no :
         {CKA_DECRYPT, CKA_UNWRAP, CKA_SIGN_RECOVER, CKA_EXTRACTABLE, CKA_ALWAYS_AUTHENTICATE})
        priv.attributes[no] = bool_bytes(false);
    for (auto yes : {CKA_SENSITIVE, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE})
        priv.attributes[yes] = bool_bytes(true);
    priv.signature_length = ec ? 2 * ((key_bits + 7) / 8) : (key_bits + 7) / 8;
    return {std::move(cert), std::move(pub), std::move(priv)};
}

}  // namespace sithsd::module
