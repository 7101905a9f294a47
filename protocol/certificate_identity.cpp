#include "protocol/certificate_identity.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "protocol/openssl_util.hpp"

namespace sithsd::protocol {
namespace {

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
bool is_alnum(char c) noexcept {
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
int number(std::string_view digits) noexcept {
    int n = 0;
    for (const char c : digits) n = n * 10 + (c - '0');
    return n;
}

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
    if (text.size() < 14 || text.size() > 44) return false;
    if (text.substr(0, 2) != "SE" || text[12] != '-') return false;
    for (std::size_t i = 2; i < 12; ++i) {
        if (!is_digit(text[i])) return false;
    }
    for (std::size_t i = 13; i < text.size(); ++i) {
        if (!is_alnum(text[i])) return false;
    }
    return true;
}

bool is_personal_identity_number(std::string_view text) noexcept {
    if (text.size() != 12) return false;
    for (const char c : text) {
        if (!is_digit(c)) return false;
    }
    const int year = number(text.substr(0, 4));
    const int month = number(text.substr(4, 2));
    int day = number(text.substr(6, 2));
    if (day > 60) day -= 60;  // samordningsnummer
    if (month < 1 || month > 12 || day < 1) return false;
    constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    const int max_day = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
    if (day > max_day) return false;
    // Luhn over YYMMDDNNNC: weights 2,1,2,1,... from the left over the first nine digits.
    int sum = 0;
    for (std::size_t i = 2; i < 11; ++i) {
        int d = (text[i] - '0') * ((i % 2 == 0) ? 2 : 1);
        sum += d > 9 ? d - 9 : d;
    }
    return (10 - sum % 10) % 10 == text[11] - '0';
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
