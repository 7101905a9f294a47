// libsithsd-client's public interfaces (sithsd/client.h through the C++ sithsd/client.hpp, and
// some C directly) against a scripted daemon: typed results and the params they send, errors with
// their reason, PIN state and candidates, an unknown error code, cancel from another thread,
// notifications by callback, by descriptor and one at a time, timeouts, a daemon that goes away,
// malformed answers and bad arguments.
#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <thread>

#include "sithsd/client.hpp"
#include "tests/client/scripted_server.hpp"

extern "C" int c_header_compiles_as_c(void);  // c_header_test.c

namespace sithsd::client {
namespace {

using namespace std::chrono_literals;
using test_support::ScriptedPeer;

std::string result(std::int64_t id, const std::string& json) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":)" + json + "}\n";
}
std::string error(std::int64_t id, int code, const std::string& data) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"error":{"code":)" +
           std::to_string(code) + R"(,"message":"said the daemon","data":)" + data + "}}\n";
}

const char* kCard =
    R"({"cardId":"c-1","reader":"Virtual PCD 00 00","label":"SITHS Card","pins":{)"
    R"("identification":{"status":"countLow","pinPad":false},"signing":{"status":"ok","pinPad":true}}})";
const char* kCertificate =
    R"({"certificateId":"id-1","cardId":"c-1","purpose":"signing","certificate":"AQID",)"
    R"("subject":{"commonName":"Tolvan Tolvansson","organization":"Testregionen Västra"},)"
    R"("hsaId":"SE5560000001-P000000000001","personalIdentityNumber":null,)"
    R"("displayName":"Tolvan Tolvansson, Testregionen Västra","issuer":"TEST CA",)"
    R"("keyAlgorithm":"EC-P256","notBefore":"2026-01-01T00:00:00Z","notAfter":"2031-01-01T00:00:00Z",)"
    R"("expiresInDays":1500})";

class ApiTest : public test_support::ScriptedServerTest {
  protected:
    sithsd::Client connect() { return sithsd::Client::connect(path_.string(), 2s); }
    // A daemon that answers the hello every connect says, then follows `script`.
    void serve_daemon(std::function<void(ScriptedPeer&)> script) {
        serve([script = std::move(script)](ScriptedPeer& peer) {
            const auto id = peer.read_request_id();
            if (peer.last_method() != "hello") return;
            peer.write(result(id, R"({"protocol":"sithsd/1","version":"1.4.0"})"));
            script(peer);
        });
    }
};

template <class F>
sithsd::Error error_of(F&& f) {
    try {
        f();
    } catch (const sithsd::Error& e) {
        return e;
    }
    ADD_FAILURE() << "no sithsd::Error thrown";
    return sithsd::Error(SITHSD_E_INTERNAL);
}

TEST_F(ApiTest, NothingListeningIsNotRunning) {
    const auto e = error_of([&] { connect(); });
    EXPECT_EQ(e.status(), SITHSD_E_NOT_RUNNING);
    EXPECT_EQ(e.reason(), "NOT_RUNNING");
    EXPECT_TRUE(e.retryable());
}

TEST_F(ApiTest, ConnectSaysHelloAndRefusesWhatIsNotSithsd) {
    serve([&](ScriptedPeer& peer) {
        peer.write(result(peer.read_request_id(), R"("I am an SMTP server")"));
        peer.sees_close();
    });
    EXPECT_EQ(error_of([&] { connect(); }).status(), SITHSD_E_MALFORMED);
}

TEST_F(ApiTest, CardsAndCertificatesAreTypedAndTheFilterIsSent) {
    boost::json::object certificate_params;
    serve_daemon([&](ScriptedPeer& peer) {
        peer.write(result(peer.read_request_id(), std::string("[") + kCard + "]"));
        auto request = peer.read_request();
        certificate_params = request.at("params").as_object();
        peer.write(result(request.at("id").as_int64(), std::string("[") + kCertificate + "]"));
    });
    auto client = connect();
    const auto cards = client.list_cards();
    ASSERT_EQ(cards.size(), 1u);
    EXPECT_EQ(cards[0].id, "c-1");
    EXPECT_EQ(cards[0].reader, "Virtual PCD 00 00");
    EXPECT_EQ(cards[0].identification.status, sithsd::PinStatus::count_low);
    EXPECT_FALSE(cards[0].identification.pin_pad);
    EXPECT_EQ(cards[0].signing.status, sithsd::PinStatus::ok);
    EXPECT_TRUE(cards[0].signing.pin_pad);

    const auto certificates = client.list_certificates(
        {sithsd::Purpose::signing, sithsd::Require::hsa_id, std::string("c-1")});
    EXPECT_EQ(boost::json::serialize(certificate_params),
              R"({"purpose":"signing","require":"hsaId","cardId":"c-1"})");
    ASSERT_EQ(certificates.size(), 1u);
    const auto& c = certificates[0];
    EXPECT_EQ(c.id, "id-1");
    EXPECT_EQ(c.purpose, sithsd::Purpose::signing);
    EXPECT_EQ(c.der, (sithsd::Bytes{1, 2, 3}));
    EXPECT_EQ(c.display_name, "Tolvan Tolvansson, Testregionen Västra");  // UTF-8 kept
    EXPECT_EQ(c.organization, "Testregionen Västra");
    EXPECT_EQ(c.hsa_id, "SE5560000001-P000000000001");
    EXPECT_FALSE(c.personal_identity_number);
    EXPECT_EQ(c.key_algorithm, "EC-P256");
    EXPECT_EQ(std::chrono::system_clock::to_time_t(c.not_after), 1924992000);  // 2031-01-01
}

TEST_F(ApiTest, ErrorsCarryTheReasonThePinStateAndTheTriesLeft) {
    serve_daemon([&](ScriptedPeer& peer) {
        peer.write(error(peer.read_request_id(), 1002,
                         R"({"reason":"USER_CANCELLED","pinStatus":"countLow","triesLeft":2})"));
        peer.write(error(peer.read_request_id(), -32602,
                         R"({"reason":"INVALID_PARAMS","field":"displayText"})"));
        peer.write(error(peer.read_request_id(), 1012,
                         R"({"reason":"TOKEN_ERROR","ckr":"CKR_DEVICE_ERROR"})"));
    });
    auto client = connect();
    sithsd::SignRequest request;
    request.display_text = "Attest";
    request.data = {'x'};
    auto e = error_of([&] { client.sign(request); });
    EXPECT_EQ(e.status(), SITHSD_E_USER_CANCELLED);
    EXPECT_EQ(e.code(), 1002);
    EXPECT_EQ(e.reason(), "USER_CANCELLED");
    EXPECT_EQ(e.pin_status(), sithsd::PinStatus::count_low);
    EXPECT_EQ(e.tries_left(), 2);
    EXPECT_TRUE(e.retryable());
    EXPECT_STREQ(e.what(), "USER_CANCELLED: said the daemon");
    e = error_of([&] { client.sign(request); });
    EXPECT_EQ(e.status(), SITHSD_E_INVALID_PARAMS);
    EXPECT_EQ(e.field(), "displayText");
    EXPECT_FALSE(e.tries_left());
    e = error_of([&] { client.sign(request); });
    EXPECT_EQ(e.ckr(), "CKR_DEVICE_ERROR");
}

TEST_F(ApiTest, SelectionRequiredNamesTheCandidates) {
    serve_daemon([&](ScriptedPeer& peer) {
        peer.write(
            error(peer.read_request_id(), 1006,
                  std::string(R"({"reason":"CERTIFICATE_SELECTION_REQUIRED","candidates":[)") +
                      kCertificate + "," + kCertificate + "]}"));
    });
    auto client = connect();
    const auto e = error_of([&] {
        client.authenticate({"https://journal.example.se", "n", {}, {}});
    });
    EXPECT_EQ(e.status(), SITHSD_E_CERTIFICATE_SELECTION_REQUIRED);
    ASSERT_EQ(e.candidates().size(), 2u);
    EXPECT_EQ(e.candidates()[1].id, "id-1");
}

TEST_F(ApiTest, AnErrorCodeNewerThanTheHeaderKeepsItsCodeAndReason) {
    serve_daemon([&](ScriptedPeer& peer) {
        peer.write(error(peer.read_request_id(), 1099, R"({"reason":"SOMETHING_NEW"})"));
    });
    auto client = connect();
    const auto e = error_of([&] { client.hello(); });
    EXPECT_EQ(e.status(), SITHSD_E_DAEMON_OTHER);
    EXPECT_EQ(e.code(), 1099);
    EXPECT_EQ(e.reason(), "SOMETHING_NEW");
}

TEST_F(ApiTest, TheTokenAndTheSignatureAreHandedOverWhole) {
    boost::json::object sign_params;
    serve_daemon([&](ScriptedPeer& peer) {
        auto authenticate = peer.read_request();
        EXPECT_EQ(
            boost::json::serialize(authenticate.at("params")),
            R"({"origin":"https://journal.example.se","challengeNonce":"nonce","require":"hsaId"})");
        peer.write(result(
            authenticate.at("id").as_int64(),
            R"({"format":"web-eid:1.0","algorithm":"ES256","unverifiedCertificate":"AQID","signature":"c2ln","appVersion":"x"})"));
        auto sign = peer.read_request();
        sign_params = sign.at("params").as_object();
        peer.write(result(sign.at("id").as_int64(), R"({"cms":"MAo=","certificate":"AQID"})"));
    });
    auto client = connect();
    const auto token = client.authenticate(
        {"https://journal.example.se", "nonce", std::nullopt, sithsd::Require::hsa_id});
    EXPECT_EQ(token.algorithm, "ES256");
    EXPECT_EQ(token.certificate, (sithsd::Bytes{1, 2, 3}));
    EXPECT_NE(token.json.find(R"("format":"web-eid:1.0")"), std::string::npos);
    sithsd::SignRequest request;
    request.display_text = "Attest av beställning 42";
    request.data = {'h', 'i'};
    const auto cms = client.sign(request);
    EXPECT_EQ(boost::json::serialize(sign_params),
              R"({"displayText":"Attest av beställning 42","format":"cms","data":"aGk="})");
    EXPECT_EQ(cms.format, sithsd::Format::cms);
    EXPECT_EQ(cms.bytes, (sithsd::Bytes{0x30, 0x0a}));
    EXPECT_FALSE(cms.algorithm);
}

TEST_F(ApiTest, CancelFromAnotherThreadEndsTheCallInProgress) {
    std::atomic<bool> cancel_named_the_call{false};
    serve_daemon([&](ScriptedPeer& peer) {
        const auto sign_id = peer.read_request_id();
        auto cancel = peer.read_request();  // waits for the other thread's cancel
        cancel_named_the_call = cancel.at("method").as_string() == "cancel" &&
                                cancel.at("params").as_object().at("id").as_int64() == sign_id;
        peer.write(error(sign_id, 1002, R"({"reason":"USER_CANCELLED"})"));
        peer.write(result(cancel.at("id").as_int64(), R"({"cancelled":true})"));
        peer.write(result(peer.read_request_id(), R"({"version":"1.4.0"})"));
    });
    auto client = connect();
    std::thread canceller([&] {
        std::this_thread::sleep_for(200ms);
        client.cancel();
    });
    sithsd::SignRequest request;
    request.display_text = "Attest";
    const auto e = error_of([&] { client.sign(request); });
    canceller.join();
    EXPECT_EQ(e.status(), SITHSD_E_USER_CANCELLED);
    EXPECT_TRUE(cancel_named_the_call);
    EXPECT_EQ(client.hello(), "1.4.0");  // the cancel's own answer is not taken for hello's
}

TEST_F(ApiTest, NotificationsWaitForTheMainLoopAndTheDescriptorSaysSo) {
    serve_daemon([&](ScriptedPeer& peer) {
        const auto id = peer.read_request_id();
        peer.write(std::string(R"({"jsonrpc":"2.0","method":"cardsChanged","params":{"cards":[)") +
                   kCard + "]}}\n");
        peer.write(result(id, R"({"version":"1.4.0"})"));
        peer.write(
            R"({"jsonrpc":"2.0","method":"certificateExpiring","params":{"certificateId":"id-1","notAfter":"2031-01-01T00:00:00Z","daysLeft":7}})"
            "\n");
        peer.sees_close();
    });
    auto client = connect();
    EXPECT_EQ(client.hello(), "1.4.0");
    // The notification that came during hello is queued: the descriptor is readable at once.
    pollfd p{client.fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 0), 1);
    std::vector<sithsd::Notification> seen;
    client.on_notification([&](const sithsd::Notification& n) { seen.push_back(n); });
    client.process(0ms);
    ASSERT_GE(seen.size(), 1u);
    EXPECT_EQ(seen[0].kind, sithsd::Notification::Kind::cards_changed);
    ASSERT_EQ(seen[0].cards.size(), 1u);
    EXPECT_EQ(seen[0].cards[0].id, "c-1");
    if (seen.size() < 2) {  // the second may not have been read yet
        ASSERT_EQ(::poll(&p, 1, 2000), 1);
        client.process(0ms);
    }
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[1].kind, sithsd::Notification::Kind::certificate_expiring);
    EXPECT_EQ(seen[1].certificate_id, "id-1");
    EXPECT_EQ(seen[1].days_left, 7);
    EXPECT_EQ(::poll(&p, 1, 0), 0);  // nothing left
}

TEST_F(ApiTest, NotificationsOneAtATimeWithoutACallback) {
    serve_daemon([&](ScriptedPeer& peer) {
        std::this_thread::sleep_for(100ms);
        peer.write(R"({"jsonrpc":"2.0","method":"somethingNew","params":{"x":1}})"
                   "\n");
        peer.sees_close();
    });
    auto client = connect();
    const auto n = client.next_notification(2s);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->kind, sithsd::Notification::Kind::other);
    EXPECT_EQ(n->method, "somethingNew");
    EXPECT_EQ(n->params_json, R"({"x":1})");
    EXPECT_FALSE(client.next_notification(50ms));
}

TEST_F(ApiTest, AHandlerThatThrowsThrowsOutOfProcess) {
    serve_daemon([&](ScriptedPeer& peer) {
        peer.write(R"({"jsonrpc":"2.0","method":"cardsChanged","params":{"cards":[]}})"
                   "\n");
        peer.sees_close();
    });
    auto client = connect();
    client.on_notification([](const sithsd::Notification&) { throw std::logic_error("mine"); });
    EXPECT_THROW(client.process(2s), std::logic_error);
}

TEST_F(ApiTest, NoAnswerInTimeThenTheConnectionIsClosed) {
    serve_daemon([&](ScriptedPeer& peer) {
        peer.read_request_id();
        peer.sees_close();
    });
    auto client = connect();
    client.set_timeout(200ms);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(error_of([&] { client.hello(); }).status(), SITHSD_E_TIMED_OUT);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_EQ(error_of([&] { client.hello(); }).status(), SITHSD_E_CLOSED);
}

TEST_F(ApiTest, ADaemonThatGoesAwayIsClosedAndTheDescriptorStaysReadable) {
    serve_daemon([&](ScriptedPeer& peer) { peer.close(); });
    auto client = connect();
    pollfd p{client.fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 2000), 1);
    EXPECT_EQ(error_of([&] { client.process(0ms); }).status(), SITHSD_E_CLOSED);
    EXPECT_EQ(::poll(&p, 1, 0), 1);
}

TEST_F(ApiTest, SomethingThatIsNotJsonRpcIsMalformed) {
    serve_daemon([&](ScriptedPeer& peer) {
        peer.read_request_id();
        peer.write("this is not JSON\n");
        peer.sees_close();
    });
    auto client = connect();
    EXPECT_EQ(error_of([&] { client.list_cards(); }).status(), SITHSD_E_MALFORMED);
}

TEST_F(ApiTest, AResultWithoutItsFieldsIsMalformed) {
    serve_daemon([&](ScriptedPeer& peer) {
        peer.write(result(peer.read_request_id(), R"([{"reader":"no id"}])"));
        peer.sees_close();
    });
    auto client = connect();
    EXPECT_EQ(error_of([&] { client.list_cards(); }).status(), SITHSD_E_MALFORMED);
}

TEST_F(ApiTest, TheGenericCallPassesJsonBothWays) {
    serve_daemon([&](ScriptedPeer& peer) {
        auto request = peer.read_request();
        EXPECT_EQ(request.at("method").as_string(), "status");
        EXPECT_EQ(boost::json::serialize(request.at("params")), R"({"verbose":true})");
        peer.write(result(request.at("id").as_int64(), R"({"uptimeSeconds":3})"));
    });
    auto client = connect();
    EXPECT_EQ(client.call("status", R"({"verbose":true})"), R"({"uptimeSeconds":3})");
}

TEST(CInterface, BadArgumentsAreRefusedWithAnError) {
    sithsd_card_list* cards = nullptr;
    sithsd_error* error = nullptr;
    EXPECT_EQ(sithsd_list_cards(nullptr, &cards, &error), SITHSD_E_INVALID_ARGUMENT);
    ASSERT_NE(error, nullptr);
    EXPECT_STREQ(sithsd_error_reason(error), "INVALID_ARGUMENT");
    sithsd_free(error);
    EXPECT_EQ(sithsd_list_cards(nullptr, &cards, nullptr), SITHSD_E_INVALID_ARGUMENT);
    EXPECT_EQ(cards, nullptr);
    sithsd_free(nullptr);
    EXPECT_EQ(sithsd_fd(nullptr), -1);
}

TEST(CInterface, StatusNamesAreTheWireReasons) {
    EXPECT_STREQ(sithsd_status_name(SITHSD_OK), "OK");
    EXPECT_STREQ(sithsd_status_name(SITHSD_E_PIN_BLOCKED), "PIN_BLOCKED");
    EXPECT_STREQ(sithsd_status_name(SITHSD_E_INVALID_PARAMS), "INVALID_PARAMS");
    EXPECT_STREQ(sithsd_status_name(SITHSD_E_NOT_RUNNING), "NOT_RUNNING");
    EXPECT_STREQ(sithsd_status_name(static_cast<sithsd_status>(4242)), "UNKNOWN");
    EXPECT_EQ(sithsd_status_retryable(SITHSD_E_PIN_BLOCKED), 0);
    EXPECT_EQ(sithsd_status_retryable(SITHSD_E_CARD_REMOVED), 1);
    EXPECT_STREQ(sithsd_status_message(SITHSD_E_SHUTTING_DOWN), "The daemon is shutting down.");
}

TEST(CInterface, TheDefaultSocketFollowsTheEnvironment) {
    ::setenv("SITHSD_SOCKET", "/run/x/y.sock", 1);
    char* path = sithsd_default_socket_path();
    EXPECT_STREQ(path, "/run/x/y.sock");
    sithsd_free(path);
    ::unsetenv("SITHSD_SOCKET");
    ::setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
    path = sithsd_default_socket_path();
    EXPECT_STREQ(path, "/run/user/4242/sithsd/sithsd.sock");
    sithsd_free(path);
}

TEST(CInterface, TheHeaderIsC) {
    EXPECT_EQ(c_header_compiles_as_c(), 0);
}

}  // namespace
}  // namespace sithsd::client
