// The demo portal's server side without HTTP: nonces (single use, five minutes) and the API's
// checks of tokens and CMS signatures made with the test world's keys (OCSP off here; the browser
// tests run the same code with OCSP).
#include "browser-bridge/demo/server/portal_api.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <set>

#include "browser-bridge/demo/server/nonce_store.hpp"
#include "browser-bridge/demo/server/orders.hpp"
#include "protocol/auth_token.hpp"
#include "protocol/base64.hpp"
#include "protocol/cms_builder.hpp"
#include "support.hpp"

namespace {

using sithsd::portal::NonceStore;
using sithsd::portal::OrderBook;
using sithsd::portal::PortalApi;
namespace json = boost::json;
namespace protocol = sithsd::protocol;
namespace test = sithsd::test;
using sithsd::HashAlgorithm;

constexpr const char* kOrigin = "http://127.0.0.1:8080";

TEST(NonceStore, SingleUseAndFresh) {
    auto now = NonceStore::Clock::now();
    NonceStore store([&] { return now; });
    std::set<std::string> seen;
    for (int i = 0; i < 20; ++i) {
        const auto nonce = store.issue();
        EXPECT_EQ(nonce.size(), 44u);
        EXPECT_TRUE(protocol::base64_decode(nonce).has_value());
        seen.insert(nonce);
    }
    EXPECT_EQ(seen.size(), 20u);
    const auto a = store.issue();
    EXPECT_TRUE(store.consume(a));
    EXPECT_FALSE(store.consume(a)) << "a second use";
    EXPECT_FALSE(store.consume("never-issued"));

    const auto fresh = store.issue();
    const auto old = store.issue();
    now += std::chrono::minutes(4) + std::chrono::seconds(59);
    EXPECT_TRUE(store.consume(fresh));
    now += std::chrono::seconds(1);
    EXPECT_FALSE(store.consume(old)) << "five minutes old";
    EXPECT_EQ(store.outstanding(), 0u) << "expired nonces are dropped";
}

class PortalApiTest : public ::testing::Test {
  protected:
    PortalApiTest() : verifier_(options()), api_(verifier_, nonces_, orders_, kOrigin) {}

    static protocol::VerifierOptions options() {
        protocol::VerifierOptions o;
        o.trust = (test::world() / "pki" / "root.pem").string();
        o.intermediates = (test::world() / "pki" / "chain.pem").string();
        o.no_ocsp = true;
        return o;
    }

    json::object call(std::string_view method, std::string_view target, const json::value& body,
                      int expected_status) {
        const auto answer =
            api_.handle(method, target, body.is_null() ? "" : json::serialize(body));
        EXPECT_EQ(answer.status, expected_status) << target << ": " << answer.body;
        return json::parse(answer.body).as_object();
    }

    std::string nonce() {
        return std::string(call("POST", "/api/nonce", nullptr, 200).at("nonce").as_string());
    }

    json::object token(const std::string& cert, const std::string& nonce,
                       const std::string& origin = kOrigin) {
        return protocol::make_auth_token(test::cert_der("tolvan", cert), origin, nonce,
                                         test::key_signer(test::card_file("tolvan", cert + ".key")),
                                         "test");
    }

    std::string cms(const std::string& display_text, std::span<const std::uint8_t> data) {
        return protocol::base64_encode(protocol::build_cms_from_data(
            test::cert_der("tolvan", "sign-hsa"), display_text, data, HashAlgorithm::sha256,
            test::key_signer(test::card_file("tolvan", "sign-hsa.key"))));
    }

    protocol::Verifier verifier_;
    NonceStore nonces_;
    OrderBook orders_;
    PortalApi api_;
};

TEST_F(PortalApiTest, LoginWithAVerifiedToken) {
    const auto n = nonce();
    const auto who =
        call("POST", "/api/login", json::object{{"token", token("id-hsa", n)}, {"nonce", n}}, 200);
    EXPECT_EQ(who.at("display").as_string(), "Tolvan Tolvansson (SE5560000001-P000000000001)");
    EXPECT_EQ(who.at("hsaId").as_string(), "SE5560000001-P000000000001");
    // The same token again: the nonce is spent.
    const auto again =
        call("POST", "/api/login", json::object{{"token", token("id-hsa", n)}, {"nonce", n}}, 401);
    EXPECT_EQ(again.at("error").as_string(), "NONCE_INVALID");
}

TEST_F(PortalApiTest, LoginRefusals) {
    EXPECT_EQ(call("POST", "/api/login", json::object{{"nonce", "x"}}, 400).at("error").as_string(),
              "BAD_REQUEST");
    EXPECT_EQ(call("POST", "/api/login", json::value(json::string("not an object")), 400)
                  .at("error")
                  .as_string(),
              "BAD_REQUEST");
    const auto unknown = call("POST", "/api/login",
                              json::object{{"token", token("id-hsa", std::string(44, 'A'))},
                                           {"nonce", std::string(44, 'A')}},
                              401);
    EXPECT_EQ(unknown.at("error").as_string(), "NONCE_INVALID");
    EXPECT_FALSE(std::string(unknown.at("message").as_string()).empty());

    // Signed for another origin: the signature fails here, and the nonce is spent all the same.
    const auto n = nonce();
    const auto wrong_origin = call(
        "POST", "/api/login",
        json::object{{"token", token("id-hsa", n, "https://evil.example")}, {"nonce", n}}, 401);
    EXPECT_EQ(wrong_origin.at("error").as_string(), "SIGNATURE_INVALID");
    EXPECT_EQ(wrong_origin.at("message").as_string(), "Underskriften stämmer inte.");
    EXPECT_EQ(
        call("POST", "/api/login", json::object{{"token", token("id-hsa", n)}, {"nonce", n}}, 401)
            .at("error")
            .as_string(),
        "NONCE_INVALID");

    // A personnummer certificate on the same card: valid, but this portal wants an HSA-ID.
    const auto p = nonce();
    EXPECT_EQ(
        call("POST", "/api/login", json::object{{"token", token("id-pnr", p)}, {"nonce", p}}, 403)
            .at("error")
            .as_string(),
        "NO_HSA_ID");
    // A signature certificate is not for logging in.
    const auto s = nonce();
    EXPECT_EQ(
        call("POST", "/api/login", json::object{{"token", token("sign-hsa", s)}, {"nonce", s}}, 401)
            .at("error")
            .as_string(),
        "WRONG_PURPOSE");
}

TEST_F(PortalApiTest, AttestVerifiesTheCmsAndTheDisplayText) {
    const auto orders = call("GET", "/api/orders", nullptr, 200).at("orders").as_array();
    ASSERT_EQ(orders.size(), 2u);
    EXPECT_EQ(orders[0].at("id").as_string(), "VMU3000096");
    EXPECT_EQ(orders[0].at("status").as_string(), "Väntar på attest");

    // No signing request prepared: refused before any verification.
    EXPECT_EQ(
        call("POST", "/api/orders/VMU3000096/attest", json::object{{"cms", cms("x", {})}}, 409)
            .at("error")
            .as_string(),
        "REQUEST_EXPIRED");

    auto request = call("POST", "/api/orders/VMU3000096/prepare", nullptr, 200);
    const std::string display(request.at("displayText").as_string());
    EXPECT_EQ(
        display,
        "Attest av beställning VMU3000096: Statistik VE, K3 Barn och Kvinna, för Ulla Älvsdotter");
    auto data = *protocol::base64_decode(request.at("data").as_string());
    // The right data but another text than the person was to be shown.
    EXPECT_EQ(call("POST", "/api/orders/VMU3000096/attest",
                   json::object{{"cms", cms("Något annat", data)}}, 401)
                  .at("error")
                  .as_string(),
              "DISPLAY_TEXT_MISMATCH");

    request = call("POST", "/api/orders/VMU3000096/prepare", nullptr, 200);
    const auto first_data = data;
    data = *protocol::base64_decode(request.at("data").as_string());
    EXPECT_NE(data, first_data) << "every signing request is fresh";
    // A signature over the earlier request's data does not answer this one.
    EXPECT_EQ(call("POST", "/api/orders/VMU3000096/attest",
                   json::object{{"cms", cms(display, first_data)}}, 401)
                  .at("error")
                  .as_string(),
              "SIGNATURE_INVALID");

    request = call("POST", "/api/orders/VMU3000096/prepare", nullptr, 200);
    data = *protocol::base64_decode(request.at("data").as_string());
    const auto done = call("POST", "/api/orders/VMU3000096/attest",
                           json::object{{"cms", cms(display, data)}}, 200);
    EXPECT_EQ(done.at("order").at("status").as_string(), "Attesterad");
    EXPECT_EQ(done.at("order").at("attestedBy").as_string(),
              "Tolvan Tolvansson (SE5560000001-P000000000001)");
    // Attested orders take no new request; the used request is gone.
    EXPECT_EQ(call("POST", "/api/orders/VMU3000096/prepare", nullptr, 409).at("error").as_string(),
              "NOT_PENDING");
    EXPECT_EQ(call("POST", "/api/orders/VMU3000096/attest",
                   json::object{{"cms", cms(display, data)}}, 409)
                  .at("error")
                  .as_string(),
              "REQUEST_EXPIRED");
}

TEST_F(PortalApiTest, BadRequestsAndUnknownPaths) {
    call("POST", "/api/orders/VMU3000097/prepare", nullptr, 200);
    EXPECT_EQ(
        call("POST", "/api/orders/VMU3000097/attest", json::object{{"cms", "not base64!"}}, 400)
            .at("error")
            .as_string(),
        "BAD_REQUEST");
    EXPECT_EQ(call("POST", "/api/orders/NOPE/prepare", nullptr, 409).at("error").as_string(),
              "NOT_PENDING");
    EXPECT_EQ(call("GET", "/api/nonce", nullptr, 404).at("error").as_string(), "NOT_FOUND");
    EXPECT_EQ(call("POST", "/api/orders/VMU3000097", nullptr, 404).at("error").as_string(),
              "NOT_FOUND");
}

}  // namespace
