// The demo portal's server side without HTTP: session-bound nonces and the API's checks of tokens
// and CMS signatures made with the test world's keys (OCSP off here; the browser tests run the
// same code with OCSP, tests/portal with Redis and several nodes).
#include "browser-bridge/demo/server/portal_api.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <set>

#include "browser-bridge/demo/server/orders.hpp"
#include "browser-bridge/demo/server/session_store.hpp"
#include "protocol/auth_token.hpp"
#include "protocol/base64.hpp"
#include "protocol/cms_builder.hpp"
#include "protocol/memory_store.hpp"
#include "protocol/nonce_store.hpp"
#include "support.hpp"

namespace {

using sithsd::portal::OrderBook;
using sithsd::portal::PortalApi;
namespace json = boost::json;
namespace protocol = sithsd::protocol;
namespace test = sithsd::test;
using sithsd::HashAlgorithm;

constexpr const char* kOrigin = "http://127.0.0.1:8080";

class PortalApiTest : public ::testing::Test {
  protected:
    PortalApiTest()
        : verifier_(options()),
          nonces_(store_),
          sessions_(store_),
          api_(verifier_, nonces_, sessions_, orders_, kOrigin) {}

    static protocol::VerifierOptions options() {
        protocol::VerifierOptions o;
        o.trust = (test::world() / "pki" / "root.pem").string();
        o.intermediates = (test::world() / "pki" / "chain.pem").string();
        o.no_ocsp = true;
        return o;
    }

    // One request from the browser whose session cookie is `cookie_` (kept from Set-Cookie).
    json::object call(std::string_view method, std::string_view target, const json::value& body,
                      int expected_status) {
        const std::string text = body.is_null() ? "" : json::serialize(body);
        const std::string cookie = "portal_session=" + cookie_;
        const auto answer = api_.handle({method, target, text, cookie});
        EXPECT_EQ(answer.status, expected_status) << target << ": " << answer.body;
        if (!answer.set_cookie.empty()) {
            last_set_cookie_ = answer.set_cookie;
            cookie_ = sithsd::portal::session_cookie(
                answer.set_cookie.substr(0, answer.set_cookie.find(';')));
        }
        return json::parse(answer.body).as_object();
    }

    std::string nonce() {
        return std::string(call("POST", "/api/nonce", nullptr, 200).at("nonce").as_string());
    }

    json::object login(const json::object& token, int expected_status) {
        return call("POST", "/api/login", json::object{{"token", token}}, expected_status);
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
    protocol::MemoryStore store_;
    protocol::NonceStore nonces_;
    sithsd::portal::SessionStore sessions_;
    OrderBook orders_;
    PortalApi api_;
    std::string cookie_;  // this test's browser
    std::string last_set_cookie_;
};

TEST_F(PortalApiTest, LoginWithAVerifiedToken) {
    const auto n = nonce();
    EXPECT_EQ(n.size(), 44u);
    EXPECT_EQ(last_set_cookie_.find("portal_session="), 0u);
    EXPECT_NE(last_set_cookie_.find("; HttpOnly"), std::string::npos);
    EXPECT_NE(last_set_cookie_.find("; SameSite=Strict"), std::string::npos);
    EXPECT_EQ(last_set_cookie_.find("Secure"), std::string::npos) << "an http origin";
    const auto before = cookie_;
    EXPECT_EQ(call("GET", "/api/session", nullptr, 401).at("error").as_string(), "NOT_LOGGED_IN");

    const auto who = login(token("id-hsa", n), 200);
    EXPECT_EQ(who.at("display").as_string(), "Tolvan Tolvansson (SE5560000001-P000000000001)");
    EXPECT_EQ(who.at("hsaId").as_string(), "SE5560000001-P000000000001");
    EXPECT_NE(cookie_, before) << "a new session id at login";
    EXPECT_EQ(call("GET", "/api/session", nullptr, 200).at("user").at("hsaId").as_string(),
              "SE5560000001-P000000000001");
    // The same token again: the nonce is spent; with the session of before the login, no session.
    EXPECT_EQ(login(token("id-hsa", n), 401).at("error").as_string(), "NONCE_INVALID");
    cookie_ = before;
    EXPECT_EQ(login(token("id-hsa", n), 401).at("error").as_string(), "NO_SESSION");
}

TEST_F(PortalApiTest, LogoutEndsTheSessionOnTheServer) {
    login(token("id-hsa", nonce()), 200);
    const auto logged_in = cookie_;
    EXPECT_FALSE(
        std::string(
            call("GET", "/api/session", nullptr, 200).at("user").at("loggedInAt").as_string())
            .empty());
    EXPECT_TRUE(call("POST", "/api/logout", nullptr, 200).at("loggedOut").as_bool());
    EXPECT_NE(last_set_cookie_.find("Max-Age=0"), std::string::npos) << last_set_cookie_;
    // The old cookie, kept by a browser that ignored the Set-Cookie, is worth nothing.
    cookie_ = logged_in;
    EXPECT_EQ(call("GET", "/api/session", nullptr, 401).at("error").as_string(), "NOT_LOGGED_IN");
    EXPECT_FALSE(call("POST", "/api/logout", nullptr, 200).at("loggedOut").as_bool());
}

TEST_F(PortalApiTest, TheNonceIsTheSessionsNotTheBodys) {
    // Another browser's nonce (issued to its session) brought to this session.
    const auto theirs = nonce();
    const auto their_cookie = cookie_;
    cookie_.clear();
    nonce();
    EXPECT_NE(cookie_, their_cookie) << "a session of its own";
    EXPECT_EQ(call("POST", "/api/login",
                   json::object{{"token", token("id-hsa", theirs)}, {"nonce", theirs}}, 401)
                  .at("error")
                  .as_string(),
              "NONCE_MISMATCH");
    // Unnamed, the token is checked against this session's nonce, and fails.
    nonce();
    EXPECT_EQ(login(token("id-hsa", theirs), 401).at("error").as_string(), "SIGNATURE_INVALID");
    // A second nonce replaces the first in its session: the first is spent.
    const auto first = nonce();
    nonce();
    EXPECT_EQ(login(token("id-hsa", first), 401).at("error").as_string(), "SIGNATURE_INVALID");
    // The other browser's own login was never touched.
    cookie_ = their_cookie;
    EXPECT_EQ(login(token("id-hsa", theirs), 200).at("hsaId").as_string(),
              "SE5560000001-P000000000001");
}

TEST_F(PortalApiTest, LoginRefusals) {
    EXPECT_EQ(call("POST", "/api/login", json::object{{"nonce", "x"}}, 400).at("error").as_string(),
              "BAD_REQUEST");
    EXPECT_EQ(call("POST", "/api/login", json::value(json::string("not an object")), 400)
                  .at("error")
                  .as_string(),
              "BAD_REQUEST");
    const auto no_session = login(token("id-hsa", std::string(44, 'A')), 401);
    EXPECT_EQ(no_session.at("error").as_string(), "NO_SESSION");
    EXPECT_FALSE(std::string(no_session.at("message").as_string()).empty());

    // Signed for another origin: the signature fails here, and the nonce is spent all the same.
    const auto n = nonce();
    const auto wrong_origin = login(token("id-hsa", n, "https://evil.example"), 401);
    EXPECT_EQ(wrong_origin.at("error").as_string(), "SIGNATURE_INVALID");
    EXPECT_EQ(wrong_origin.at("message").as_string(), "Underskriften stämmer inte.");
    EXPECT_EQ(login(token("id-hsa", n), 401).at("error").as_string(), "NONCE_INVALID");

    // A personnummer certificate on the same card: valid, but this portal wants an HSA-ID.
    EXPECT_EQ(login(token("id-pnr", nonce()), 403).at("error").as_string(), "NO_HSA_ID");
    // A signature certificate is not for logging in.
    EXPECT_EQ(login(token("sign-hsa", nonce()), 401).at("error").as_string(), "WRONG_PURPOSE");
}

// The shared store cannot be asked: 503, and never a login (a store that throws on every call).
class BrokenStore final : public protocol::TtlStore {
  public:
    bool add(std::string_view, std::string_view, std::chrono::seconds) override { fail(); }
    void put(std::string_view, std::string_view, std::chrono::seconds) override { fail(); }
    std::optional<std::string> get(std::string_view) override { fail(); }
    std::optional<std::string> take(std::string_view) override { fail(); }
    void remove(std::string_view) override { fail(); }

  private:
    [[noreturn]] static void fail() { throw protocol::StoreUnavailable("down for the test"); }
};

TEST_F(PortalApiTest, StoreUnavailableIs503) {
    const auto n = nonce();
    BrokenStore broken;
    protocol::NonceStore nonces(broken);
    sithsd::portal::SessionStore sessions(broken);
    PortalApi api(verifier_, nonces, sessions, orders_, kOrigin);
    const std::string cookie = "portal_session=" + cookie_;
    const auto body = json::serialize(json::object{{"token", token("id-hsa", n)}});
    for (const auto& [method, target, text] :
         {std::tuple{"POST", "/api/login", body}, std::tuple{"POST", "/api/nonce", std::string()},
          std::tuple{"GET", "/api/session", std::string()}}) {
        const auto answer = api.handle({method, target, text, cookie});
        EXPECT_EQ(answer.status, 503) << target;
        EXPECT_EQ(json::parse(answer.body).at("error").as_string(), "STORE_UNAVAILABLE");
    }
    // The nonce was never spent by the broken node: the working one still accepts it.
    EXPECT_EQ(login(token("id-hsa", n), 200).at("hsaId").as_string(), "SE5560000001-P000000000001");
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
