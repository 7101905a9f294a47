#include <gtest/gtest.h>

#include "protocol/certificate_identity.hpp"

namespace sithsd::protocol {
namespace {

TEST(HsaId, Form) {
    EXPECT_TRUE(is_hsa_id("SE5560000001-P000000000001"));
    EXPECT_TRUE(is_hsa_id("SE1234567890-a"));
    EXPECT_TRUE(is_hsa_id("SE1234567890-" + std::string(31, 'Z')));
    EXPECT_FALSE(is_hsa_id("SE1234567890-" + std::string(32, 'Z')));
    EXPECT_FALSE(is_hsa_id("SE1234567890-"));
    EXPECT_FALSE(is_hsa_id("SE123456789-P1"));
    EXPECT_FALSE(is_hsa_id("SE12345678901-P1"));
    EXPECT_FALSE(is_hsa_id("se5560000001-P1"));
    EXPECT_FALSE(is_hsa_id("NO5560000001-P1"));
    EXPECT_FALSE(is_hsa_id("SE5560000001_P1"));
    EXPECT_FALSE(is_hsa_id("SE5560000001-P 1"));
    EXPECT_FALSE(is_hsa_id("SE5560000001-Pö1"));
    EXPECT_FALSE(is_hsa_id("SE556000000A-P1"));
    EXPECT_FALSE(is_hsa_id(""));
    EXPECT_FALSE(is_hsa_id("191212121212"));
}

TEST(PersonalIdentityNumber, LuhnAndDate) {
    EXPECT_TRUE(is_personal_identity_number("191212121212"));   // Tolvan Tolvansson
    EXPECT_FALSE(is_personal_identity_number("191212121213"));  // wrong check digit
    EXPECT_TRUE(is_personal_identity_number("198112189876"));
    EXPECT_TRUE(is_personal_identity_number("200002292381"));   // 29 February in a leap year
    EXPECT_FALSE(is_personal_identity_number("190002291234"));  // 1900 was not a leap year
    EXPECT_FALSE(is_personal_identity_number("201913011234"));  // month 13
    EXPECT_FALSE(is_personal_identity_number("201904311234"));  // 31 April
    EXPECT_FALSE(is_personal_identity_number("201904001234"));  // day 0
    EXPECT_FALSE(is_personal_identity_number("19121212121"));   // 11 digits
    EXPECT_FALSE(is_personal_identity_number("1912121212120"));
    EXPECT_FALSE(is_personal_identity_number("19121212-1212"));
    EXPECT_FALSE(is_personal_identity_number("SE5560000001-P000000000001"));
}

TEST(PersonalIdentityNumber, Samordningsnummer) {
    // Day + 60: 1912 12 72 ... The check digit is computed over the digits as written.
    EXPECT_TRUE(is_personal_identity_number("191212721219"));
    EXPECT_FALSE(is_personal_identity_number("191212721212"));
    EXPECT_FALSE(is_personal_identity_number("191212921210"));  // day 92 - 60 = 32
    EXPECT_FALSE(is_personal_identity_number("191212601213"));  // day 60 - 60 = 0
}

TEST(CertificateIdentity, NotACertificate) {
    const std::vector<std::uint8_t> junk{0x30, 0x03, 0x02, 0x01, 0x01};
    EXPECT_FALSE(certificate_identity(junk));
    EXPECT_FALSE(certificate_identity({}));
}

TEST(CertificateIdentity, JsonNullsAbsentIds) {
    CertificateIdentity id;
    id.common_name = "Nils Nyberg";
    id.hsa_id = "SE5560000001-X1";
    auto j = to_json(id);
    EXPECT_EQ(j.at("hsaId").as_string(), "SE5560000001-X1");
    EXPECT_TRUE(j.at("personalIdentityNumber").is_null());
    EXPECT_EQ(j.at("commonName").as_string(), "Nils Nyberg");
    for (const char* key : {"givenName", "surname", "organization", "issuer", "serialNumber"}) {
        EXPECT_TRUE(j.contains(key)) << key;
    }
}

}  // namespace
}  // namespace sithsd::protocol
