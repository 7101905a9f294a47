// Authentication tokens made with the test world's keys (no card), verified, and every tampering
// rejected with its own reason.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "protocol/auth_token.hpp"
#include "protocol/base64.hpp"
#include "protocol/openssl_util.hpp"
#include "protocol/verifier.hpp"
#include "support.hpp"

namespace sithsd::protocol {
namespace {

using test::card_file;
using test::cert_der;
using test::key_signer;
using test::world;

const std::string kOrigin = "https://beh.example.se";
const std::string kNonce = "12345678901234567890123456789012345678901234";  // 44 characters

std::string token_for(const std::string& card, const std::string& name,
                      RsaPadding padding = RsaPadding::Pkcs1, const std::string& origin = kOrigin,
                      const std::string& nonce = kNonce) {
    auto token = make_auth_token(cert_der(card, name), origin, nonce,
                                 key_signer(card_file(card, name + ".key"), padding),
                                 "https://example.se/sithsd/releases/v0.1.0", padding);
    return boost::json::serialize(token);
}

VerifierOptions offline() {
    VerifierOptions o;
    o.trust = (world() / "pki" / "root.pem").string();
    o.intermediates = (world() / "pki" / "chain.pem").string();
    o.no_ocsp = true;
    return o;
}

VerifierOptions online(const std::string& url) {
    auto o = offline();
    o.no_ocsp = false;
    o.ocsp_url = url;
    return o;
}

std::string reason_of(const VerifyResult<CertificateIdentity>& r) {
    if (r.ok()) return "OK";
    return std::string(verify_error_name(r.error().reason));
}

std::string with_field(const std::string& token, const std::string& field, boost::json::value v) {
    auto doc = boost::json::parse(token).as_object();
    doc[field] = std::move(v);
    return boost::json::serialize(doc);
}

TEST(AuthToken, MessageIsHashOfOriginThenHashOfNonce) {
    const auto m = auth_token_message(HashAlgorithm::sha256, "https://a.se", kNonce);
    ASSERT_EQ(m.size(), 64u);
    const std::string o = "https://a.se";
    const auto ho = hash(HashAlgorithm::sha256,
                         std::span(reinterpret_cast<const std::uint8_t*>(o.data()), o.size()));
    const auto hn =
        hash(HashAlgorithm::sha256,
             std::span(reinterpret_cast<const std::uint8_t*>(kNonce.data()), kNonce.size()));
    EXPECT_TRUE(std::equal(ho.begin(), ho.end(), m.begin()));
    EXPECT_TRUE(std::equal(hn.begin(), hn.end(), m.begin() + 32));
    EXPECT_EQ(auth_token_message(HashAlgorithm::sha384, "a", "b").size(), 96u);
    EXPECT_EQ(auth_token_message(HashAlgorithm::sha512, "a", "b").size(), 128u);
}

TEST(AuthToken, AlgorithmFromKey) {
    EXPECT_EQ(jws_algorithm_for(cert_der("tolvan", "id-hsa")), JwsAlgorithm::RS256);
    EXPECT_EQ(jws_algorithm_for(cert_der("tolvan", "id-hsa"), RsaPadding::Pss),
              JwsAlgorithm::PS256);
    EXPECT_EQ(jws_algorithm_for(cert_der("ulla", "id-hsa")), JwsAlgorithm::ES256);
    EXPECT_EQ(jws_algorithm_for(cert_der("ulla", "id-hsa"), RsaPadding::Pss), JwsAlgorithm::ES256);
    EXPECT_FALSE(jws_algorithm_for(std::vector<std::uint8_t>{1, 2, 3}));
    EXPECT_EQ(jws_hash(JwsAlgorithm::ES384), HashAlgorithm::sha384);
    EXPECT_EQ(jws_hash(JwsAlgorithm::ES512), HashAlgorithm::sha512);
    EXPECT_EQ(jws_hash(JwsAlgorithm::PS256), HashAlgorithm::sha256);
    EXPECT_EQ(jws_algorithm_from_name("ES384"), JwsAlgorithm::ES384);
    EXPECT_FALSE(jws_algorithm_from_name("HS256"));
    EXPECT_FALSE(jws_algorithm_from_name("none"));
}

TEST(AuthToken, ShapeOfTheToken) {
    const auto token = boost::json::parse(token_for("ulla", "id-hsa")).as_object();
    EXPECT_EQ(token.at("format").as_string(), "web-eid:1.0");
    EXPECT_EQ(token.at("algorithm").as_string(), "ES256");
    EXPECT_EQ(*base64_decode(token.at("unverifiedCertificate").as_string()),
              cert_der("ulla", "id-hsa"));
    EXPECT_EQ(base64_decode(token.at("signature").as_string())->size(), 64u);  // r||s, not DER
    EXPECT_EQ(token.at("appVersion").as_string(), "https://example.se/sithsd/releases/v0.1.0");
}

TEST(AuthToken, SignerSeesTheDigestOfTheMessage) {
    std::vector<std::uint8_t> seen;
    HashAlgorithm seen_alg = HashAlgorithm::sha512;
    auto real = key_signer(card_file("tolvan", "id-hsa.key"));
    make_auth_token(
        cert_der("tolvan", "id-hsa"), kOrigin, kNonce,
        [&](HashAlgorithm alg, std::span<const std::uint8_t> digest) {
            seen.assign(digest.begin(), digest.end());
            seen_alg = alg;
            return real(alg, digest);
        },
        "v");
    EXPECT_EQ(seen_alg, HashAlgorithm::sha256);
    EXPECT_EQ(seen, hash(HashAlgorithm::sha256,
                         auth_token_message(HashAlgorithm::sha256, kOrigin, kNonce)));
}

TEST(AuthToken, RefusesAMalformedEcdsaAnswer) {
    EXPECT_THROW(make_auth_token(
                     cert_der("ulla", "id-hsa"), kOrigin, kNonce,
                     [](HashAlgorithm, std::span<const std::uint8_t>) {
                         return std::vector<std::uint8_t>(70, 1);  // DER-sized
                     },
                     "v"),
                 std::invalid_argument);
}

TEST(TokenVerifier, AcceptsRs256Ps256Es256) {
    const Verifier verifier(offline());
    auto rs = verifier.verify_token(token_for("tolvan", "id-hsa"), kOrigin, kNonce);
    ASSERT_TRUE(rs) << reason_of(rs) << " " << rs.error().detail;
    EXPECT_EQ(rs->hsa_id, "SE5560000001-P000000000001");
    EXPECT_FALSE(rs->personal_identity_number);
    EXPECT_EQ(rs->given_name, "Tolvan");
    EXPECT_EQ(rs->surname, "Tolvansson");
    EXPECT_EQ(rs->common_name, "Tolvan Tolvansson");
    EXPECT_EQ(rs->organization, "Testregionen Västra");
    EXPECT_EQ(rs->issuer, "TEST SITHS e-id Person HSA-id 3 CA v1");

    auto ps =
        verifier.verify_token(token_for("tolvan", "id-hsa", RsaPadding::Pss), kOrigin, kNonce);
    ASSERT_TRUE(ps) << reason_of(ps);

    auto es = verifier.verify_token(token_for("ulla", "id-hsa"), kOrigin, kNonce);
    ASSERT_TRUE(es) << reason_of(es);
    EXPECT_EQ(es->hsa_id, "SE5560000002-P000000000002");
    EXPECT_EQ(es->organization, "Vårdcentralen Åby");
    EXPECT_EQ(es->surname, "Älvsdotter");

    auto pnr = verifier.verify_token(token_for("tolvan", "id-pnr"), kOrigin, kNonce);
    ASSERT_TRUE(pnr) << reason_of(pnr);
    EXPECT_EQ(pnr->personal_identity_number, "191212121212");
    EXPECT_FALSE(pnr->hsa_id);
    EXPECT_EQ(pnr->issuer, "TEST SITHS e-id Person ID 3 CA v1");
}

TEST(TokenVerifier, WrongOriginOrNonce) {
    const Verifier verifier(offline());
    const auto token = token_for("tolvan", "id-hsa");
    EXPECT_EQ(reason_of(verifier.verify_token(token, "https://evil.example.se", kNonce)),
              "SIGNATURE_INVALID");
    EXPECT_EQ(reason_of(verifier.verify_token(token, kOrigin + "/", kNonce)), "SIGNATURE_INVALID");
    EXPECT_EQ(reason_of(verifier.verify_token(token, kOrigin, kNonce + "x")), "SIGNATURE_INVALID");
    const auto ec = token_for("ulla", "id-hsa");
    EXPECT_EQ(reason_of(verifier.verify_token(ec, "https://evil.example.se", kNonce)),
              "SIGNATURE_INVALID");
    EXPECT_EQ(reason_of(verifier.verify_token(ec, kOrigin, "x" + kNonce)), "SIGNATURE_INVALID");
}

TEST(TokenVerifier, TamperedSignature) {
    const Verifier verifier(offline());
    for (const auto& card : {"tolvan", "ulla"}) {
        const auto token = token_for(card, "id-hsa");
        auto sig = *base64_decode(boost::json::parse(token).at("signature").as_string());
        sig[sig.size() / 2] ^= 0x01;
        EXPECT_EQ(reason_of(verifier.verify_token(
                      with_field(token, "signature", boost::json::value(base64_encode(sig))),
                      kOrigin, kNonce)),
                  "SIGNATURE_INVALID");
        EXPECT_EQ(reason_of(verifier.verify_token(with_field(token, "signature", "not base64"),
                                                  kOrigin, kNonce)),
                  "FORMAT_INVALID");
    }
    // ECDSA must be JWS r||s: the same signature as DER is refused.
    const auto ec = token_for("ulla", "id-hsa");
    const auto raw = *base64_decode(boost::json::parse(ec).at("signature").as_string());
    const auto der = ossl::ecdsa_raw_to_der(raw);
    ASSERT_FALSE(der.empty());
    EXPECT_EQ(
        reason_of(verifier.verify_token(
            with_field(ec, "signature", boost::json::value(base64_encode(der))), kOrigin, kNonce)),
        "SIGNATURE_INVALID");
    // PS256 labelled RS256: the padding does not match.
    const auto ps = token_for("tolvan", "id-hsa", RsaPadding::Pss);
    EXPECT_EQ(
        reason_of(verifier.verify_token(with_field(ps, "algorithm", "RS256"), kOrigin, kNonce)),
        "SIGNATURE_INVALID");
}

TEST(TokenVerifier, CertificateSwapped) {
    const Verifier verifier(offline());
    const auto token = token_for("tolvan", "id-hsa");
    const auto other = base64_encode(cert_der("nysign", "id-hsa"));
    EXPECT_EQ(reason_of(verifier.verify_token(
                  with_field(token, "unverifiedCertificate", boost::json::value(other)), kOrigin,
                  kNonce)),
              "SIGNATURE_INVALID");
    // Tolvan's other identification certificate has another key too.
    const auto pnr = base64_encode(cert_der("tolvan", "id-pnr"));
    EXPECT_EQ(
        reason_of(verifier.verify_token(
            with_field(token, "unverifiedCertificate", boost::json::value(pnr)), kOrigin, kNonce)),
        "SIGNATURE_INVALID");
}

TEST(TokenVerifier, SignatureCertificateIsTheWrongPurpose) {
    const Verifier verifier(offline());
    EXPECT_EQ(reason_of(verifier.verify_token(token_for("tolvan", "sign-hsa"), kOrigin, kNonce)),
              "WRONG_PURPOSE");
    EXPECT_EQ(reason_of(verifier.verify_token(token_for("ulla", "sign-hsa"), kOrigin, kNonce)),
              "WRONG_PURPOSE");
}

TEST(TokenVerifier, Expired) {
    const Verifier verifier(offline());
    EXPECT_EQ(reason_of(verifier.verify_token(token_for("expired", "id-hsa"), kOrigin, kNonce)),
              "CERTIFICATE_EXPIRED");
    // A good certificate checked at a time after its expiry (the world's expire in 5 years).
    auto options = offline();
    options.at = std::chrono::system_clock::now() + std::chrono::hours(24 * 365 * 6);
    const Verifier later(options);
    EXPECT_EQ(reason_of(later.verify_token(token_for("tolvan", "id-hsa"), kOrigin, kNonce)),
              "CERTIFICATE_EXPIRED");
    // And before the CAs existed: not trusted (the chain fails at that time), or not yet valid.
    options.at = std::chrono::system_clock::now() - std::chrono::hours(24 * 365 * 3);
    EXPECT_EQ(
        reason_of(Verifier(options).verify_token(token_for("tolvan", "id-hsa"), kOrigin, kNonce)),
        "CERTIFICATE_EXPIRED");
}

TEST(TokenVerifier, UntrustedRoot) {
    test::TempDir dir;
    const auto root = dir.path() / "other-root.pem";
    auto made =
        test::run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:P-256", "-nodes", "-keyout", (dir.path() / "k.pem").string(),
                   "-out", root.string(), "-subj", "/CN=Another Root", "-days", "10"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    auto options = offline();
    options.trust = root.string();
    const Verifier verifier(options);
    EXPECT_EQ(reason_of(verifier.verify_token(token_for("tolvan", "id-hsa"), kOrigin, kNonce)),
              "CERTIFICATE_NOT_TRUSTED");
    // Without the intermediates the chain cannot be built either.
    auto no_inter = offline();
    no_inter.intermediates.clear();
    EXPECT_EQ(
        reason_of(Verifier(no_inter).verify_token(token_for("tolvan", "id-hsa"), kOrigin, kNonce)),
        "CERTIFICATE_NOT_TRUSTED");
    // An issuing CA's certificate is no identification certificate.
    const auto ca_der = dir.path() / "ca.der";
    ASSERT_EQ(test::run({"openssl", "x509", "-in", (world() / "pki" / "ca-hsaid.pem").string(),
                         "-outform", "DER", "-out", ca_der.string()})
                  .exit_code,
              0);
    const auto ca = base64_encode(test::read_bytes(ca_der));
    EXPECT_EQ(reason_of(Verifier(offline()).verify_token(
                  with_field(token_for("tolvan", "id-hsa"), "unverifiedCertificate",
                             boost::json::value(ca)),
                  kOrigin, kNonce)),
              "WRONG_PURPOSE");
}

TEST(TokenVerifier, FormatAndAlgorithm) {
    const Verifier verifier(offline());
    const auto token = token_for("tolvan", "id-hsa");
    EXPECT_EQ(reason_of(verifier.verify_token("not json", kOrigin, kNonce)), "FORMAT_INVALID");
    EXPECT_EQ(reason_of(verifier.verify_token("[]", kOrigin, kNonce)), "FORMAT_INVALID");
    EXPECT_EQ(reason_of(verifier.verify_token(with_field(token, "format", "web-eid:2.0"), kOrigin,
                                              kNonce)),
              "FORMAT_INVALID");
    EXPECT_EQ(reason_of(verifier.verify_token(with_field(token, "format", "web-eid:10"), kOrigin,
                                              kNonce)),
              "FORMAT_INVALID");
    EXPECT_EQ(reason_of(verifier.verify_token(with_field(token, "format", 1), kOrigin, kNonce)),
              "FORMAT_INVALID");
    EXPECT_TRUE(verifier.verify_token(with_field(token, "format", "web-eid:1.1"), kOrigin, kNonce));
    EXPECT_EQ(
        reason_of(verifier.verify_token(with_field(token, "signature", nullptr), kOrigin, kNonce)),
        "FORMAT_INVALID");
    EXPECT_EQ(
        reason_of(verifier.verify_token(with_field(token, "algorithm", "HS256"), kOrigin, kNonce)),
        "ALGORITHM_NOT_ALLOWED");
    EXPECT_EQ(
        reason_of(verifier.verify_token(with_field(token, "algorithm", "none"), kOrigin, kNonce)),
        "ALGORITHM_NOT_ALLOWED");
    EXPECT_EQ(
        reason_of(verifier.verify_token(with_field(token, "algorithm", "ES256"), kOrigin, kNonce)),
        "ALGORITHM_NOT_ALLOWED");
    const auto ec = token_for("ulla", "id-hsa");
    EXPECT_EQ(
        reason_of(verifier.verify_token(with_field(ec, "algorithm", "ES384"), kOrigin, kNonce)),
        "ALGORITHM_NOT_ALLOWED");
    EXPECT_EQ(
        reason_of(verifier.verify_token(with_field(ec, "algorithm", "RS256"), kOrigin, kNonce)),
        "ALGORITHM_NOT_ALLOWED");
    EXPECT_EQ(reason_of(verifier.verify_token(with_field(token, "unverifiedCertificate", "AAAA"),
                                              kOrigin, kNonce)),
              "CERTIFICATE_INVALID");
    EXPECT_EQ(reason_of(verifier.verify_token(with_field(token, "unverifiedCertificate", "%%%"),
                                              kOrigin, kNonce)),
              "CERTIFICATE_INVALID");
}

TEST(TokenVerifierOcsp, GoodRevokedAndUnavailable) {
    test::OcspResponder responder;
    const Verifier verifier(online(responder.url()));
    auto good = verifier.verify_token(token_for("tolvan", "id-hsa"), kOrigin, kNonce);
    EXPECT_TRUE(good) << reason_of(good) << " " << good.error().detail;
    auto good_ec = verifier.verify_token(token_for("ulla", "id-hsa"), kOrigin, kNonce);
    EXPECT_TRUE(good_ec) << reason_of(good_ec) << " " << good_ec.error().detail;
    // The ID CA has its own delegated responder.
    auto good_pnr = verifier.verify_token(token_for("tolvan", "id-pnr"), kOrigin, kNonce);
    EXPECT_TRUE(good_pnr) << reason_of(good_pnr) << " " << good_pnr.error().detail;
    EXPECT_EQ(reason_of(verifier.verify_token(token_for("revoked", "id-hsa"), kOrigin, kNonce)),
              "CERTIFICATE_REVOKED");
    // Offline, the revoked certificate passes: that is what --no-ocsp means.
    EXPECT_TRUE(Verifier(offline()).verify_token(token_for("revoked", "id-hsa"), kOrigin, kNonce));

    // Nobody listening.
    auto nobody_options = online("http://127.0.0.1:" + std::to_string(test::free_port()) + "/");
    nobody_options.ocsp_timeout =
        std::chrono::seconds(2);  // OpenSSL retries a refused connect until then
    const Verifier nobody(nobody_options);
    EXPECT_EQ(reason_of(nobody.verify_token(token_for("tolvan", "id-hsa"), kOrigin, kNonce)),
              "OCSP_UNAVAILABLE");
    // The AIA of the world's certificates points at port 8889; with OCSP on and no URL given, the
    // AIA is used. (Nothing of this test listens there; whatever answers must pass every check.)
    auto aia = offline();
    aia.no_ocsp = false;
    aia.ocsp_timeout = std::chrono::seconds(2);
    const auto via_aia =
        Verifier(aia).verify_token(token_for("revoked", "id-hsa"), kOrigin, kNonce);
    EXPECT_FALSE(via_aia);
}

// The world's cards are RSA and P-256: a small PKI of our own for ES384 and ES512.
TEST(TokenVerifier, Es384AndEs512) {
    test::TempDir dir;
    const auto d = [&](const std::string& f) { return (dir.path() / f).string(); };
    test::write_text(dir.path() / "ext.cnf",
                     "[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n"
                     "[leaf]\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
    auto ok = [](const test::RunResult& r) { return r.exit_code == 0 ? std::string() : r.err; };
    ASSERT_EQ(ok(test::run({"openssl",
                            "req",
                            "-x509",
                            "-newkey",
                            "ec",
                            "-pkeyopt",
                            "ec_paramgen_curve:P-384",
                            "-nodes",
                            "-keyout",
                            d("ca.key"),
                            "-out",
                            d("ca.pem"),
                            "-subj",
                            "/CN=EC Root",
                            "-days",
                            "2",
                            "-extensions",
                            "ca",
                            "-config",
                            d("ext.cnf")})),
              "");
    for (const auto& [curve, alg] : {std::pair{"P-384", "ES384"}, {"P-521", "ES512"}}) {
        const std::string stem = std::string("leaf-") + curve;
        ASSERT_EQ(ok(test::run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                                std::string("ec_paramgen_curve:") + curve, "-nodes", "-keyout",
                                d(stem + ".key"), "-out", d(stem + ".csr"), "-subj",
                                "/serialNumber=SE5560000001-EC1/GN=Eva/SN=Kurva/CN=Eva Kurva"})),
                  "");
        ASSERT_EQ(
            ok(test::run({"openssl", "x509",      "-req",     "-in",        d(stem + ".csr"),
                          "-CA",     d("ca.pem"), "-CAkey",   d("ca.key"),  "-CAcreateserial",
                          "-days",   "1",         "-extfile", d("ext.cnf"), "-extensions",
                          "leaf",    "-outform",  "DER",      "-out",       d(stem + ".der")})),
            "");
        const auto der = test::read_bytes(d(stem + ".der"));
        const auto token = make_auth_token(der, kOrigin, kNonce, key_signer(d(stem + ".key")), "v");
        EXPECT_EQ(token.at("algorithm").as_string(), alg);
        const std::size_t half = curve == std::string("P-384") ? 48 : 66;
        EXPECT_EQ(base64_decode(token.at("signature").as_string())->size(), 2 * half);
        VerifierOptions options;
        options.trust = d("ca.pem");
        options.no_ocsp = true;
        const Verifier verifier(options);
        auto r = verifier.verify_token(boost::json::serialize(token), kOrigin, kNonce);
        ASSERT_TRUE(r) << reason_of(r) << " " << r.error().detail;
        EXPECT_EQ(r->hsa_id, "SE5560000001-EC1");
        EXPECT_EQ(
            reason_of(verifier.verify_token(boost::json::serialize(token), kOrigin + "x", kNonce)),
            "SIGNATURE_INVALID");
    }
}

TEST(Verifier, RefusesUnreadableTrustFiles) {
    VerifierOptions options;
    options.trust = "/nonexistent/roots.pem";
    EXPECT_THROW(Verifier{options}, std::runtime_error);
    options.trust = (world() / "pki" / "root.pem").string();
    options.intermediates = "/nonexistent/chain.pem";
    EXPECT_THROW(Verifier{options}, std::runtime_error);
    options.intermediates =
        (world() / "cards" / "tolvan" / "card.json").string();  // no certificate in it
    EXPECT_THROW(Verifier{options}, std::runtime_error);
}

class BadOcsp : public ::testing::TestWithParam<const char*> {};

TEST_P(BadOcsp, RejectedAsInvalid) {
    test::OcspResponder responder(GetParam());
    const Verifier verifier(online(responder.url()));
    const auto r = verifier.verify_token(token_for("tolvan", "id-hsa"), kOrigin, kNonce);
    EXPECT_EQ(reason_of(r), "OCSP_INVALID") << (r ? "" : r.error().detail);
}

INSTANTIATE_TEST_SUITE_P(Modes, BadOcsp,
                         ::testing::Values("unauthorized", "no-nonce", "stale", "garbage"),
                         [](const auto& info) {
                             std::string name = info.param;
                             std::erase(name, '-');
                             return name;
                         });

}  // namespace
}  // namespace sithsd::protocol
