#pragma once
// Who a SITHS certificate names: the subject's names, the HSA-ID or personnummer in the subject
// serialNumber (2.5.4.5), the issuer.

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sithsd::protocol {

struct CertificateIdentity {
    std::optional<std::string> hsa_id;
    std::optional<std::string> personal_identity_number;
    std::string given_name;
    std::string surname;
    std::string common_name;
    std::string organization;
    std::string serial_number;       // the subject serialNumber attribute, as it is
    std::string issuer;              // the issuer's commonName
    std::string certificate_serial;  // the certificate's serial number, upper-case hex
};

// nullopt when the bytes are not one DER certificate.
std::optional<CertificateIdentity> certificate_identity(std::span<const std::uint8_t> der);

// HSA-ID: "SE" + 10 digits + "-" + 1..31 letters or digits (ASCII).
bool is_hsa_id(std::string_view text) noexcept;
// Personnummer or samordningsnummer (day + 60): 12 digits YYYYMMDDNNNN, a real date, and a
// valid Luhn check digit over the last ten digits.
bool is_personal_identity_number(std::string_view text) noexcept;

// {"hsaId","personalIdentityNumber","givenName","surname","commonName","organization","issuer",
//  "serialNumber","certificateSerial"}; absent ids are null.
boost::json::object to_json(const CertificateIdentity& identity);

}  // namespace sithsd::protocol
