#include "protocol/certificate_identity.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "protocol/identity_rules.hpp"
#include "protocol/openssl_util.hpp"

namespace sithsd::protocol {
namespace {

// The first entry of a NID in a name, as UTF-8 (names may be any ASN.1 string type).
std::string entry(const X509_NAME* name, int nid) {
    const int idx = X509_NAME_get_index_by_NID(name, nid, -1);
    if (idx < 0) return {};
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0) return {};
    std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
    return out;
}

}  // namespace

bool is_hsa_id(std::string_view text) noexcept {
    return identity::is_hsa_id(text);
}

bool is_personal_identity_number(std::string_view text) noexcept {
    return identity::is_personal_identity_number(text);
}

std::optional<CertificateIdentity> certificate_identity(std::span<const std::uint8_t> der) {
    auto cert = ossl::parse_certificate_der(der);
    if (!cert) return std::nullopt;
    const X509_NAME* subject = X509_get_subject_name(cert.get());
    CertificateIdentity id;
    id.given_name = entry(subject, NID_givenName);
    id.surname = entry(subject, NID_surname);
    id.common_name = entry(subject, NID_commonName);
    id.organization = entry(subject, NID_organizationName);
    id.serial_number = entry(subject, NID_serialNumber);
    id.issuer = entry(X509_get_issuer_name(cert.get()), NID_commonName);
    if (is_hsa_id(id.serial_number)) id.hsa_id = id.serial_number;
    if (is_personal_identity_number(id.serial_number)) {
        id.personal_identity_number = id.serial_number;
    }
    if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr)) {
        if (char* hex = BN_bn2hex(bn)) {
            id.certificate_serial = hex;
            OPENSSL_free(hex);
        }
        BN_free(bn);
    }
    return id;
}

boost::json::object to_json(const CertificateIdentity& identity) {
    boost::json::object o;
    o["hsaId"] = identity.hsa_id ? boost::json::value(*identity.hsa_id) : nullptr;
    o["personalIdentityNumber"] = identity.personal_identity_number
                                      ? boost::json::value(*identity.personal_identity_number)
                                      : nullptr;
    o["givenName"] = identity.given_name;
    o["surname"] = identity.surname;
    o["commonName"] = identity.common_name;
    o["organization"] = identity.organization;
    o["issuer"] = identity.issuer;
    o["serialNumber"] = identity.serial_number;
    o["certificateSerial"] = identity.certificate_serial;
    return o;
}

}  // namespace sithsd::protocol
