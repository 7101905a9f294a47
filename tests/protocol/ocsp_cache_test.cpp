// The verifier with an OcspCache, against the world's OCSP responder: good and revoked answers
// are remembered (until nextUpdate), a failing or wrong responder never is; verifiers that share
// the store (the nodes of a portal) share the answers.
#include "protocol/ocsp_cache.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "protocol/auth_token.hpp"
#include "protocol/memory_store.hpp"
#include "protocol/verifier.hpp"
#include "support.hpp"

namespace sithsd::protocol {
namespace {

using namespace std::chrono_literals;

const std::string kOrigin = "https://portal.example.se";
const std::string kNonce = "12345678901234567890123456789012345678901234";

std::string token(const std::string& card) {
    return boost::json::serialize(
        make_auth_token(test::cert_der(card, "id-hsa"), kOrigin, kNonce,
                        test::key_signer(test::card_file(card, "id-hsa.key")), "test"));
}

class OcspCacheVerifier : public ::testing::Test {
  protected:
    OcspCacheVerifier()
        : store_(1000, [this] { return now_; }), cache_(std::make_shared<OcspCache>(store_)) {}

    // A verifier asking `url`, remembering in the shared cache.
    Verifier verifier(const std::string& url) {
        VerifierOptions o;
        o.trust = (test::world() / "pki" / "root.pem").string();
        o.intermediates = (test::world() / "pki" / "chain.pem").string();
        o.ocsp_url = url;
        o.ocsp_timeout = 1s;  // a refused connection costs the whole timeout (OpenSSL retries)
        o.ocsp_cache = cache_;
        return Verifier(o);
    }

    static std::string reason(const VerifyResult<CertificateIdentity>& r) {
        return r ? "OK" : std::string(verify_error_name(r.error().reason));
    }

    MemoryStore::Clock::time_point now_ = MemoryStore::Clock::now();
    MemoryStore store_;
    std::shared_ptr<OcspCache> cache_;
};

TEST_F(OcspCacheVerifier, RevokedRememberedFailureNeverAndExpiryAtNextUpdate) {
    const auto nobody = verifier("http://127.0.0.1:" + std::to_string(test::free_port()) + "/");
    // Failures first: nothing is remembered of them.
    EXPECT_EQ(reason(nobody.verify_token(token("tolvan"), kOrigin, kNonce)), "OCSP_UNAVAILABLE");
    {
        test::OcspResponder stale("stale");
        EXPECT_EQ(reason(verifier(stale.url()).verify_token(token("tolvan"), kOrigin, kNonce)),
                  "OCSP_INVALID");
    }
    EXPECT_EQ(store_.size(), 0u) << "a failing responder is never remembered";

    {
        test::OcspResponder responder;
        const auto live = verifier(responder.url());
        EXPECT_EQ(reason(live.verify_token(token("tolvan"), kOrigin, kNonce)), "OK");
        EXPECT_EQ(reason(live.verify_token(token("revoked"), kOrigin, kNonce)),
                  "CERTIFICATE_REVOKED");
        EXPECT_EQ(store_.size(), 2u);
    }
    // The responder is gone; another verifier sharing the store has both answers.
    EXPECT_EQ(reason(nobody.verify_token(token("tolvan"), kOrigin, kNonce)), "OK");
    const auto revoked = nobody.verify_token(token("revoked"), kOrigin, kNonce);
    EXPECT_EQ(reason(revoked), "CERTIFICATE_REVOKED");
    EXPECT_NE(revoked.error().detail.find("(remembered)"), std::string::npos);
    EXPECT_EQ(cache_->hits(), 2u);
    // A card never asked about is not vouched for by the others' answers.
    EXPECT_EQ(reason(nobody.verify_token(token("ulla"), kOrigin, kNonce)), "OCSP_UNAVAILABLE");

    // The world's responder sets nextUpdate one minute after thisUpdate (a few seconds before
    // the answer reached us): then the answers are gone.
    now_ += 45s;
    EXPECT_EQ(reason(nobody.verify_token(token("tolvan"), kOrigin, kNonce)), "OK");
    now_ += 16s;
    EXPECT_EQ(reason(nobody.verify_token(token("tolvan"), kOrigin, kNonce)), "OCSP_UNAVAILABLE");
    EXPECT_EQ(reason(nobody.verify_token(token("revoked"), kOrigin, kNonce)), "OCSP_UNAVAILABLE");
}

}  // namespace
}  // namespace sithsd::protocol
