// Identities from certificates and the Secret type: pure, no module.
#include <gtest/gtest.h>

#include <sstream>

#include "pkcs11/card_set.hpp"
#include "pkcs11/certificate.hpp"
#include "pkcs11/secret.hpp"
#include "test_world.hpp"

using namespace sithsd;
using namespace sithsd::pkcs11;

TEST(Identity, HsaIdForm) {
    EXPECT_TRUE(is_hsa_id("SE5560000001-P000000000001"));
    EXPECT_TRUE(is_hsa_id("SE2321000016-1003"));
    EXPECT_TRUE(is_hsa_id("SE5560000001-a"));
    EXPECT_TRUE(is_hsa_id("SE5560000001-" + std::string(31, 'X')));
    EXPECT_FALSE(is_hsa_id("SE5560000001-" + std::string(32, 'X')));
    EXPECT_FALSE(is_hsa_id("SE5560000001-"));
    EXPECT_FALSE(is_hsa_id("SE556000001-P1"));  // 9 digits
    EXPECT_FALSE(is_hsa_id("NO5560000001-P1"));
    EXPECT_FALSE(is_hsa_id("SE5560000001P0001"));  // no dash
    EXPECT_FALSE(is_hsa_id("SE5560000001-P-01"));
    EXPECT_FALSE(is_hsa_id("SE5560000001-Å1"));
    EXPECT_FALSE(is_hsa_id("191212121212"));
}

TEST(Identity, PersonalIdentityNumber) {
    EXPECT_TRUE(is_personal_identity_number("191212121212"));   // Tolvan Tolvansson
    EXPECT_FALSE(is_personal_identity_number("191212121213"));  // check digit
    EXPECT_FALSE(is_personal_identity_number("19121212121"));
    EXPECT_FALSE(is_personal_identity_number("1912121212120"));
    EXPECT_FALSE(is_personal_identity_number("19121312121x"));
    EXPECT_FALSE(is_personal_identity_number("191213121212"));  // month 13
    EXPECT_TRUE(is_personal_identity_number("197010632391"));   // samordningsnummer (day 3 + 60)
    EXPECT_FALSE(is_personal_identity_number("197010932393"));  // day 33
    EXPECT_FALSE(is_personal_identity_number("SE5560000001-P000000000001"));
}

TEST(Identity, WorldCertificates) {
    std::string dir = SITHSD_TEST_WORLD;
    auto der_of = [&](const std::string& path) {
        auto text = sithsd::test::read_file(dir + "/cards/" + path);
        return std::vector<std::uint8_t>(text.begin(), text.end());
    };
    auto ulla = parse_certificate(der_of("ulla/sign-hsa.der"));
    EXPECT_EQ(ulla.purpose, Purpose::signing);
    EXPECT_EQ(ulla.key_algorithm, "EC-P256");
    EXPECT_EQ(ulla.surname, "Älvsdotter");
    EXPECT_EQ(ulla.display_name(), "Ulla Älvsdotter, Vårdcentralen Åby");
    auto expired = parse_certificate(der_of("expired/id-hsa.der"));
    EXPECT_LT(expired.days_left(std::chrono::system_clock::now()), 0);
    EXPECT_FALSE(expired.valid_at(std::chrono::system_clock::now()));
    auto soon = parse_certificate(der_of("soon/id-hsa.der"));
    auto left = soon.days_left(std::chrono::system_clock::now());
    EXPECT_TRUE(left == 19 || left == 20) << left;
    EXPECT_THROW(parse_certificate(std::vector<std::uint8_t>{0x30, 0x03, 0x02, 0x01, 0x01}),
                 std::invalid_argument);
}

TEST(Secret, NeverPrintedAndWiped) {
    Secret s("123456");
    EXPECT_EQ(s.size(), 6u);
    std::ostringstream out;
    out << s;
    EXPECT_EQ(out.str(), "***");
    Secret moved(std::move(s));
    EXPECT_EQ(moved.size(), 6u);
    EXPECT_EQ(s.size(), 0u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(moved.data()), moved.size()), "123456");
    moved.clear();
    EXPECT_TRUE(moved.empty());
    for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(moved.data()[i], 0);
    Secret full;
    for (std::size_t i = 0; i < Secret::capacity; ++i) EXPECT_TRUE(full.push_back('1'));
    EXPECT_FALSE(full.push_back('1'));
}

TEST(Signing, DigestInfoAndEcdsaDer) {
    std::vector<std::uint8_t> digest(32, 0xab);
    auto info = digest_info(HashAlgorithm::sha256, digest);
    EXPECT_EQ(info.size(), 19u + 32u);
    EXPECT_EQ(info[0], 0x30);
    EXPECT_THROW(digest_info(HashAlgorithm::sha384, digest), std::invalid_argument);
    std::vector<std::uint8_t> raw(64, 0x01);
    raw[0] = 0x80;  // r needs a leading zero in DER
    auto der = ecdsa_raw_to_der(raw);
    EXPECT_EQ(der[0], 0x30);
    EXPECT_EQ(der[2], 0x02);
    EXPECT_EQ(der[3], 33);
}
