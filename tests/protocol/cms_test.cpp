// CMS (CAdES-BES) made with the test world's keys, judged by `openssl cms -verify` and by our
// verifier; displayText read back.
#include <gtest/gtest.h>

#include "protocol/cms_builder.hpp"
#include "protocol/openssl_util.hpp"
#include "protocol/verifier.hpp"
#include "support.hpp"

namespace sithsd::protocol {
namespace {

using test::card_file;
using test::cert_der;
using test::key_signer;
using test::world;

const std::string kText =
    "Attest av beställning VMU3000096: Statistik VE, K3 Barn och Kvinna, för Ulla Älvsdotter";

std::vector<std::uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

using sithsd::protocol::ossl::rfc3339;

std::vector<std::uint8_t> issuer_der(const std::string& ca) {
    auto certs = ossl::load_pem_certificates((world() / "pki" / (ca + ".pem")).string());
    return ossl::certificate_der(sk_X509_value(certs->get(), 0));
}

VerifierOptions offline() {
    VerifierOptions o;
    o.trust = (world() / "pki" / "root.pem").string();
    o.intermediates = (world() / "pki" / "chain.pem").string();
    o.no_ocsp = true;
    return o;
}

std::string reason_of(const VerifyResult<CmsSignatureInfo>& r) {
    if (r.ok()) return "OK";
    return std::string(verify_error_name(r.error().reason));
}

// openssl cms -verify as PROTOCOL.md says, plus -cades (checks signingCertificateV2). No
// `-purpose any`: OpenSSL 3.0's default purpose (smimesign) accepts a certificate with key usage
// nonRepudiation only and no EKU, as the world's (and SITHS') signature certificates are.
test::RunResult openssl_verify(const std::vector<std::uint8_t>& cms,
                               const std::vector<std::uint8_t>& data,
                               const std::vector<std::string>& extra = {}) {
    test::TempDir dir;
    test::write_bytes(dir.path() / "sig.p7s", cms);
    test::write_bytes(dir.path() / "data", data);
    std::vector<std::string> argv{"openssl",  "cms",
                                  "-verify",  "-binary",
                                  "-content", (dir.path() / "data").string(),
                                  "-inform",  "DER",
                                  "-in",      (dir.path() / "sig.p7s").string(),
                                  "-CAfile",  (world() / "pki" / "root.pem").string(),
                                  "-cades",   "-out",
                                  "/dev/null"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return test::run(argv);
}

TEST(Cms, RsaFromDataVerifiedByOpenssl) {
    const auto data = bytes("order VMU3000096\n");
    const auto cms = build_cms_from_data(
        cert_der("tolvan", "sign-hsa"), kText, data, HashAlgorithm::sha256,
        key_signer(card_file("tolvan", "sign-hsa.key")), {issuer_der("ca-hsaid")});
    auto r = openssl_verify(cms, data);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("Verification successful"), std::string::npos) << r.err;
    // Other content: refused.
    EXPECT_NE(openssl_verify(cms, bytes("order VMU3000097\n")).exit_code, 0);
}

TEST(Cms, EcdsaFromDataVerifiedByOpenssl) {
    const auto data = bytes("ECDSA, ulla");
    const auto cms = build_cms_from_data(
        cert_der("ulla", "sign-hsa"), kText, data, HashAlgorithm::sha256,
        key_signer(card_file("ulla", "sign-hsa.key")), {issuer_der("ca-hsaid")});
    auto r = openssl_verify(cms, data);
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(Cms, FromHashVerifiedByOpensslAndVerifier) {
    const auto data = bytes("the document the portal hashed itself");
    for (const auto alg : {HashAlgorithm::sha256, HashAlgorithm::sha384, HashAlgorithm::sha512}) {
        for (const std::string card : {"tolvan", "ulla"}) {
            const auto digest = hash(alg, data);
            const auto cert = cert_der(card, "sign-hsa");
            CmsSignInput in{cert, kText, alg, digest, std::nullopt, {issuer_der("ca-hsaid")}};
            const auto cms = build_cms(in, key_signer(card_file(card, "sign-hsa.key")));
            auto r = openssl_verify(cms, data);
            EXPECT_EQ(r.exit_code, 0) << card << " " << hash_algorithm_name(alg) << r.err;
            auto v = Verifier(offline()).verify_cms(cms, data);
            EXPECT_TRUE(v) << reason_of(v);
        }
    }
}

TEST(Cms, WithoutTheIntermediateOpensslNeedsIt) {
    // Only the signer certificate included: -CAfile ROOT alone cannot build the chain (openssl
    // cms builds it from the message's certificates only; -certfile just finds signers), so the
    // issuing CA must be included or trusted too.
    const auto data = bytes("x");
    const auto cms =
        build_cms_from_data(cert_der("tolvan", "sign-hsa"), kText, data, HashAlgorithm::sha256,
                            key_signer(card_file("tolvan", "sign-hsa.key")));
    EXPECT_NE(openssl_verify(cms, data).exit_code, 0);
    auto r = openssl_verify(cms, data, {"-CAfile", (world() / "pki" / "chain.pem").string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // Our verifier takes the intermediates from its options.
    EXPECT_TRUE(Verifier(offline()).verify_cms(cms, data));
}

TEST(Cms, SignedAttributesAsOpensslPrintsThem) {
    const auto data = bytes("attrs");
    const auto cms =
        build_cms_from_data(cert_der("tolvan", "sign-hsa"), kText, data, HashAlgorithm::sha256,
                            key_signer(card_file("tolvan", "sign-hsa.key")));
    test::TempDir dir;
    test::write_bytes(dir.path() / "sig.p7s", cms);
    auto r = test::run({"openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in",
                        (dir.path() / "sig.p7s").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* want :
         {"contentType", "messageDigest", "signingTime", "id-smime-aa-signingCertificateV2",
          "id-smime-aa-contentHint", "eContent: <ABSENT>"}) {
        EXPECT_NE(r.out.find(want), std::string::npos) << want;
    }
}

TEST(CmsVerifier, ReadsBackDisplayTextAndSigningTime) {
    const auto data = bytes("åäö data");
    const auto before = std::chrono::system_clock::now() - std::chrono::seconds(2);
    for (const std::string card : {"tolvan", "ulla"}) {
        const auto cms =
            build_cms_from_data(cert_der(card, "sign-hsa"), kText, data, HashAlgorithm::sha256,
                                key_signer(card_file(card, "sign-hsa.key")));
        auto v = Verifier(offline()).verify_cms(cms, data);
        ASSERT_TRUE(v) << reason_of(v) << " " << v.error().detail;
        EXPECT_EQ(v->display_text, kText);
        EXPECT_EQ(v->signing_time.size(), 20u);
        EXPECT_EQ(v->signing_time.back(), 'Z');
        EXPECT_GE(v->signing_time, rfc3339(before));
        EXPECT_LE(v->signing_time,
                  rfc3339(std::chrono::system_clock::now() + std::chrono::seconds(2)));
    }
}

TEST(CmsVerifier, Rejections) {
    const auto data = bytes("content");
    const Verifier verifier(offline());
    const auto cms =
        build_cms_from_data(cert_der("tolvan", "sign-hsa"), kText, data, HashAlgorithm::sha256,
                            key_signer(card_file("tolvan", "sign-hsa.key")));
    EXPECT_EQ(reason_of(verifier.verify_cms(cms, bytes("contenT"))), "SIGNATURE_INVALID");
    auto broken = cms;
    broken[broken.size() - 10] ^= 0x40;  // inside the signature value
    EXPECT_EQ(reason_of(verifier.verify_cms(broken, data)), "SIGNATURE_INVALID");
    EXPECT_EQ(reason_of(verifier.verify_cms(bytes("not DER"), data)), "FORMAT_INVALID");
    EXPECT_EQ(reason_of(verifier.verify_cms({}, data)), "FORMAT_INVALID");
    // An identification certificate has no business signing documents.
    const auto id =
        build_cms_from_data(cert_der("tolvan", "id-hsa"), kText, data, HashAlgorithm::sha256,
                            key_signer(card_file("tolvan", "id-hsa.key")));
    EXPECT_EQ(reason_of(verifier.verify_cms(id, data)), "WRONG_PURPOSE");
    const auto expired =
        build_cms_from_data(cert_der("expired", "sign-hsa"), kText, data, HashAlgorithm::sha256,
                            key_signer(card_file("expired", "sign-hsa.key")));
    EXPECT_EQ(reason_of(verifier.verify_cms(expired, data)), "CERTIFICATE_EXPIRED");
    // The signer certificate swapped for another's (same key type): the signature fails.
    const auto swapped =
        build_cms_from_data(cert_der("nysign", "id-hsa"), kText, data, HashAlgorithm::sha256,
                            key_signer(card_file("tolvan", "sign-hsa.key")));
    EXPECT_EQ(reason_of(verifier.verify_cms(swapped, data)), "SIGNATURE_INVALID");
}

TEST(CmsVerifier, CmsFromOpensslItself) {
    // Interoperability, and the CAdES-BES rule: without signingCertificateV2 it is refused.
    test::TempDir dir;
    test::write_text(dir.path() / "data", "made by openssl cms -sign");
    for (const bool cades : {true, false}) {
        std::vector<std::string> argv{"openssl",
                                      "cms",
                                      "-sign",
                                      "-binary",
                                      "-nosmimecap",
                                      "-in",
                                      (dir.path() / "data").string(),
                                      "-signer",
                                      card_file("tolvan", "sign-hsa.pem").string(),
                                      "-inkey",
                                      card_file("tolvan", "sign-hsa.key").string(),
                                      "-outform",
                                      "DER",
                                      "-out",
                                      (dir.path() / "sig.p7s").string()};
        if (cades) argv.push_back("-cades");
        auto made = test::run(argv);
        ASSERT_EQ(made.exit_code, 0) << made.err;
        auto v = Verifier(offline()).verify_cms(test::read_bytes(dir.path() / "sig.p7s"),
                                                test::read_bytes(dir.path() / "data"));
        if (cades) {
            EXPECT_TRUE(v) << reason_of(v);
            if (v) {
                EXPECT_FALSE(v->display_text);  // no contentHints
            }
        } else {
            EXPECT_EQ(reason_of(v), "SIGNATURE_INVALID");
        }
    }
}

TEST(CmsVerifier, UntrustedRoot) {
    auto options = offline();
    options.trust =
        (world() / "pki" / "ocsp.pem").string();  // a certificate, but no root of the chain
    const auto data = bytes("content");
    const auto cms =
        build_cms_from_data(cert_der("tolvan", "sign-hsa"), kText, data, HashAlgorithm::sha256,
                            key_signer(card_file("tolvan", "sign-hsa.key")));
    EXPECT_EQ(reason_of(Verifier(options).verify_cms(cms, data)), "CERTIFICATE_NOT_TRUSTED");
}

TEST(CmsVerifierOcsp, GoodAndRevoked) {
    test::OcspResponder responder;
    auto options = offline();
    options.no_ocsp = false;
    options.ocsp_url = responder.url();
    const Verifier verifier(options);
    const auto data = bytes("content");
    const auto good =
        build_cms_from_data(cert_der("ulla", "sign-hsa"), kText, data, HashAlgorithm::sha256,
                            key_signer(card_file("ulla", "sign-hsa.key")));
    auto v = verifier.verify_cms(good, data);
    EXPECT_TRUE(v) << reason_of(v) << " " << v.error().detail;
    const auto revoked =
        build_cms_from_data(cert_der("revoked", "sign-hsa"), kText, data, HashAlgorithm::sha256,
                            key_signer(card_file("revoked", "sign-hsa.key")));
    auto rv = verifier.verify_cms(revoked, data);
    EXPECT_EQ(reason_of(rv), "CERTIFICATE_REVOKED") << (rv ? "" : rv.error().detail);
}

TEST(Cms, RefusesBadInput) {
    const auto signer = key_signer(card_file("tolvan", "sign-hsa.key"));
    const std::vector<std::uint8_t> short_digest(20, 1);
    const auto cert = cert_der("tolvan", "sign-hsa");
    EXPECT_THROW(
        build_cms(CmsSignInput{cert, kText, HashAlgorithm::sha256, short_digest, std::nullopt, {}},
                  signer),
        std::invalid_argument);
    const std::vector<std::uint8_t> junk{1, 2, 3};
    const std::vector<std::uint8_t> digest(32, 1);
    EXPECT_THROW(
        build_cms(CmsSignInput{junk, kText, HashAlgorithm::sha256, digest, std::nullopt, {}},
                  signer),
        std::invalid_argument);
}

}  // namespace
}  // namespace sithsd::protocol
