#include "pkcs11/certificate.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cmath>
#include <ctime>
#include <stdexcept>

#include "common/digest.hpp"
#include "common/openssl_owners.hpp"
#include "protocol/identity_rules.hpp"

namespace sithsd::pkcs11 {
namespace {

// The UTF-8 value of the first attribute NID in name, or "".
std::string name_entry(const X509_NAME* name, int nid) {
    int index = X509_NAME_get_index_by_NID(name, nid, -1);
    if (index < 0) return {};
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, data);  // names may be UTF8String: never assume ASCII
    if (length < 0) return {};
    std::string value(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    return value;
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* t) {
    std::tm tm{};
    if (!ASN1_TIME_to_tm(t, &tm))
        throw std::invalid_argument("certificate has a bad validity time");
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// A personnummer in the subjectAltName: an otherName whose value is a string of the right form.
std::optional<std::string> personal_number_in_alt_names(X509* cert) {
    ossl::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    if (!names) return std::nullopt;
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
        if (name->type != GEN_OTHERNAME) continue;
        const ASN1_TYPE* value = name->d.otherName->value;
        if (value->type != V_ASN1_UTF8STRING && value->type != V_ASN1_PRINTABLESTRING &&
            value->type != V_ASN1_IA5STRING)
            continue;
        const ASN1_STRING* s = value->value.asn1_string;
        std::string text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                         static_cast<std::size_t>(ASN1_STRING_length(s)));
        if (is_personal_identity_number(text)) return text;
    }
    return std::nullopt;
}

}  // namespace

bool is_hsa_id(std::string_view text) {
    return identity::is_hsa_id(text);
}
bool is_personal_identity_number(std::string_view text) {
    return identity::is_personal_identity_number(text);
}

std::string certificate_id(std::span<const std::uint8_t> der) {
    return sha256_hex({reinterpret_cast<const char*>(der.data()), der.size()}, 16);
}

long CertificateInfo::days_left(std::chrono::system_clock::time_point now) const {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(not_after - now).count();
    return static_cast<long>(std::floor(static_cast<double>(seconds) / 86400.0));
}

std::string CertificateInfo::display_name() const {
    return organization.empty() ? common_name : common_name + ", " + organization;
}

CertificateInfo parse_certificate(std::span<const std::uint8_t> der) {
    const unsigned char* p = der.data();
    ossl::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert || p != der.data() + der.size()) throw std::invalid_argument("not a DER certificate");

    CertificateInfo info;
    info.der.assign(der.begin(), der.end());
    info.certificate_id = certificate_id(der);

    const X509_NAME* subject = X509_get_subject_name(cert.get());
    info.common_name = name_entry(subject, NID_commonName);
    info.given_name = name_entry(subject, NID_givenName);
    info.surname = name_entry(subject, NID_surname);
    info.organization = name_entry(subject, NID_organizationName);
    info.subject_serial_number = name_entry(subject, NID_serialNumber);
    if (is_hsa_id(info.subject_serial_number)) info.hsa_id = info.subject_serial_number;
    if (is_personal_identity_number(info.subject_serial_number))
        info.personal_identity_number = info.subject_serial_number;
    else
        info.personal_identity_number = personal_number_in_alt_names(cert.get());
    info.issuer = name_entry(X509_get_issuer_name(cert.get()), NID_commonName);

    const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
    info.serial_hex = hex_encode(
        {ASN1_STRING_get0_data(serial), static_cast<std::size_t>(ASN1_STRING_length(serial))});
    info.not_before = to_time_point(X509_get0_notBefore(cert.get()));
    info.not_after = to_time_point(X509_get0_notAfter(cert.get()));

    info.is_ca = X509_check_ca(cert.get()) > 0;
    // Purpose by key usage, never by label (docs/DOMAIN.md): nonRepudiation signs.
    uint32_t usage = X509_get_key_usage(cert.get());  // UINT32_MAX when the extension is absent
    if (usage != UINT32_MAX && !info.is_ca) {
        if (usage & KU_NON_REPUDIATION)
            info.purpose = Purpose::signing;
        else if (usage & KU_DIGITAL_SIGNATURE)
            info.purpose = Purpose::identification;
    }

    const EVP_PKEY* key = X509_get0_pubkey(cert.get());
    if (!key) throw std::invalid_argument("certificate without a usable public key");
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
        info.key_type = KeyAlgorithm::ec;
        char group[64] = {};
        EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       nullptr);
        std::string_view g(group);
        info.key_bits = EVP_PKEY_get_bits(key);
        info.key_algorithm = g == "prime256v1"  ? "EC-P256"
                             : g == "secp384r1" ? "EC-P384"
                             : g == "secp521r1" ? "EC-P521"
                                                : "EC-" + std::string(g);
    } else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
        info.key_type = KeyAlgorithm::rsa;
        info.key_bits = EVP_PKEY_get_bits(key);
        info.key_algorithm = "RSA-" + std::to_string(info.key_bits);
    } else {
        throw std::invalid_argument("certificate key is neither RSA nor EC");
    }
    return info;
}

}  // namespace sithsd::pkcs11
