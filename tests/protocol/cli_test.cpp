// The built sithsctl, run as a program: verify-token and verify-cms.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "protocol/auth_token.hpp"
#include "protocol/cms_builder.hpp"
#include "support.hpp"

namespace sithsd::protocol {
namespace {

using test::card_file;
using test::cert_der;
using test::key_signer;
using test::world;

const std::string kOrigin = "https://portal.example.se";
const std::string kNonce = "bm9uY2Ugbm9uY2Ugbm9uY2Ugbm9uY2Ugbm9uY2Ugbm9uY2U=";

class Cli : public ::testing::Test {
  protected:
    test::TempDir dir;

    std::string token_file(const std::string& card) {
        const auto token = make_auth_token(cert_der(card, "id-hsa"), kOrigin, kNonce,
                                           key_signer(card_file(card, "id-hsa.key")), "v0.1.0");
        const auto path = dir.path() / (card + "-token.json");
        test::write_text(path, boost::json::serialize(token));
        return path.string();
    }

    std::vector<std::string> trust_args() const {
        return {"--trust", (world() / "pki" / "root.pem").string(), "--intermediates",
                (world() / "pki" / "chain.pem").string()};
    }

    test::RunResult verify_token(const std::string& token, const std::string& origin,
                                 const std::vector<std::string>& extra) {
        std::vector<std::string> argv{SITHSD_SITHSCTL, "verify-token", "--json", "--origin",
                                      origin,          "--nonce",      kNonce};
        for (const auto& a : trust_args()) argv.push_back(a);
        for (const auto& a : extra) argv.push_back(a);
        argv.push_back(token);
        return test::run(argv);
    }
};

TEST_F(Cli, VerifyTokenPrintsTheIdentity) {
    auto r = verify_token(token_file("tolvan"), kOrigin, {"--no-ocsp"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto id = boost::json::parse(r.out).as_object();
    EXPECT_EQ(id.at("hsaId").as_string(), "SE5560000001-P000000000001");
    EXPECT_TRUE(id.at("personalIdentityNumber").is_null());
    EXPECT_EQ(id.at("givenName").as_string(), "Tolvan");
    EXPECT_EQ(id.at("surname").as_string(), "Tolvansson");
    EXPECT_EQ(id.at("commonName").as_string(), "Tolvan Tolvansson");
    EXPECT_EQ(id.at("organization").as_string(), "Testregionen Västra");
    EXPECT_EQ(id.at("issuer").as_string(), "TEST SITHS e-id Person HSA-id 3 CA v1");
    EXPECT_EQ(id.at("serialNumber").as_string(), "SE5560000001-P000000000001");
}

TEST_F(Cli, VerifyTokenRejects) {
    auto r = verify_token(token_file("tolvan"), "https://other.example.se", {"--no-ocsp"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(boost::json::parse(r.out), boost::json::parse(R"({"error":"SIGNATURE_INVALID"})"));
    auto expired = verify_token(token_file("expired"), kOrigin, {"--no-ocsp"});
    EXPECT_EQ(expired.exit_code, 1);
    EXPECT_EQ(boost::json::parse(expired.out),
              boost::json::parse(R"({"error":"CERTIFICATE_EXPIRED"})"));
}

TEST_F(Cli, VerifyTokenWithOcsp) {
    test::OcspResponder responder;
    auto good = verify_token(token_file("ulla"), kOrigin, {"--ocsp-url", responder.url()});
    EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
    EXPECT_EQ(boost::json::parse(good.out).at("surname").as_string(), "Älvsdotter");
    auto revoked = verify_token(token_file("revoked"), kOrigin, {"--ocsp-url", responder.url()});
    EXPECT_EQ(revoked.exit_code, 1);
    EXPECT_EQ(boost::json::parse(revoked.out),
              boost::json::parse(R"({"error":"CERTIFICATE_REVOKED"})"));
}

TEST_F(Cli, UsageErrors) {
    EXPECT_EQ(test::run({SITHSD_SITHSCTL}).exit_code, 2);
    EXPECT_EQ(test::run({SITHSD_SITHSCTL, "verify-token", "--origin", kOrigin}).exit_code, 2);
    // --no-ocsp and --ocsp-url exclude each other.
    auto both = verify_token(token_file("tolvan"), kOrigin,
                             {"--no-ocsp", "--ocsp-url", "http://127.0.0.1:1/"});
    EXPECT_EQ(both.exit_code, 2);
    // An unreadable trust file.
    const auto bad_trust = dir.path() / "empty.pem";
    test::write_text(bad_trust, "");
    auto r = test::run({SITHSD_SITHSCTL, "verify-token", "--origin", kOrigin, "--nonce", kNonce,
                        "--trust", bad_trust.string(), "--no-ocsp", token_file("tolvan")});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(r.out.empty());
}

TEST_F(Cli, VerifyCms) {
    const std::string text = "Jag intygar: åäö ÅÄÖ";
    const std::vector<std::uint8_t> data{'a', 'b', 'c'};
    const auto cms =
        build_cms_from_data(cert_der("tolvan", "sign-hsa"), text, data, HashAlgorithm::sha256,
                            key_signer(card_file("tolvan", "sign-hsa.key")));
    test::write_bytes(dir.path() / "sig.p7s", cms);
    test::write_bytes(dir.path() / "data", data);
    std::vector<std::string> argv{
        SITHSD_SITHSCTL, "verify-cms", "--json", "--content", (dir.path() / "data").string(),
        "--no-ocsp"};
    for (const auto& a : trust_args()) argv.push_back(a);
    argv.push_back((dir.path() / "sig.p7s").string());
    auto r = test::run(argv);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto out = boost::json::parse(r.out).as_object();
    EXPECT_EQ(out.at("displayText").as_string(), text);
    EXPECT_EQ(out.at("hsaId").as_string(), "SE5560000001-P000000000001");
    EXPECT_EQ(out.at("signingTime").as_string().size(), 20u);

    // The same from a hash the portal made (SHA-512 here).
    const auto digest = hash(HashAlgorithm::sha512, data);
    const auto cert = cert_der("ulla", "sign-hsa");
    const auto from_hash =
        build_cms(CmsSignInput{cert, text, HashAlgorithm::sha512, digest, std::nullopt, {}},
                  key_signer(card_file("ulla", "sign-hsa.key")));
    test::write_bytes(dir.path() / "sig.p7s", from_hash);
    auto r2 = test::run(argv);
    ASSERT_EQ(r2.exit_code, 0) << r2.out << r2.err;
    EXPECT_EQ(boost::json::parse(r2.out).at("displayText").as_string(), text);
    EXPECT_EQ(boost::json::parse(r2.out).at("hsaId").as_string(), "SE5560000002-P000000000002");

    test::write_bytes(dir.path() / "data", {'a', 'b', 'd'});
    auto bad = test::run(argv);
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_EQ(boost::json::parse(bad.out), boost::json::parse(R"({"error":"SIGNATURE_INVALID"})"));
}

}  // namespace
}  // namespace sithsd::protocol
