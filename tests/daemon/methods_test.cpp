// The method handlers through the dispatcher, with fakes for the cards, the prompts, the audit log
// and the clock: every way authenticate, sign and the PIN methods can end, and the routing that
// the method table decides (LOCAL_ONLY, METHOD_NOT_FOUND, consent, rate limit).
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "daemon/config.hpp"
#include "daemon/consent_store.hpp"
#include "daemon/dispatcher.hpp"
#include "daemon/methods/card_job.hpp"
#include "daemon/methods/handlers.hpp"
#include "daemon/methods/pin_asker.hpp"
#include "daemon/prompt_texts.hpp"
#include "fakes.hpp"
#include "protocol/method_table.hpp"

namespace sithsd::test {
namespace {

using daemon::OriginStatus;
using pkcs11::CardError;
using pkcs11::CardErrorReason;
using pkcs11::PinStatus;

const std::string kNonce(44, 'N');
const std::string kPortal = "https://portal.example.se";

class MethodsTest : public ::testing::Test {
  protected:
    MethodsTest() {
        config.language = "sv";
        pkcs11::CardInfo card;
        card.card_id = "card-1";
        card.identification = pkcs11::PinInfo{};
        card.signing = pkcs11::PinInfo{};
        card.certificates = {certificate("card-1", "id-hsa", Purpose::identification, "SE1-A"),
                             certificate("card-1", "sign-hsa", Purpose::signing, "SE1-A")};
        cards.cards_now = {card};
    }
    ~MethodsTest() override { std::filesystem::remove_all(dir); }

    daemon::Dispatcher& dispatcher() {
        if (!dispatcher_)
            dispatcher_.emplace(
                config,
                daemon::OriginPolicy(
                    protocol::OriginList({*protocol::OriginPattern::parse(kPortal)}), {}, true),
                cards, prompts, audit, consent, clock);
        return *dispatcher_;
    }

    // Sends one request from `peer` and returns every message the client got for it.
    std::shared_ptr<FakeConnection> open(daemon::Peer peer, std::uint64_t id = 1) {
        auto c = std::make_shared<FakeConnection>(std::move(peer), id);
        dispatcher().on_open(c);
        return c;
    }
    boost::json::object call(const std::shared_ptr<FakeConnection>& c, const std::string& method,
                             boost::json::object params = {}, int id = 7,
                             std::chrono::milliseconds wait = 5s) {
        return answer_to(dispatcher(), c, method, std::move(params), id, wait);
    }
    boost::json::object web(const std::string& method, boost::json::object params = {}) {
        return call(open(web_peer(kPortal)), method, std::move(params));
    }

    static std::string reason(const boost::json::object& answer) { return error_reason(answer); }
    std::vector<std::string> audit_results() const {
        std::vector<std::string> out;
        for (const auto& line : audit.lines) out.push_back(line.result);
        return out;
    }
    boost::json::object sign_params(const std::string& text = "Order 1") {
        return {{"displayText", text}, {"data", "aGVsbG8="}, {"format", "raw"}};
    }

    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("sithsd-methods-" + std::to_string(::getpid()));
    daemon::Config config;
    FakeCards cards;
    FakePrompts prompts;
    FakeAudit audit;
    FixedClock clock;
    daemon::ConsentStore consent{dir / "origins.json"};
    std::optional<daemon::Dispatcher> dispatcher_;
};

// ---- authenticate

TEST_F(MethodsTest, AuthenticateSignsTheTokenAfterTheIdentificationPin) {
    prompts.script = {"pin 1234"};
    auto answer = web("authenticate", {{"challengeNonce", kNonce}});
    ASSERT_TRUE(answer.contains("result")) << answer;
    EXPECT_EQ(answer.at("result").at("format"), "web-eid:1.0");
    EXPECT_EQ(answer.at("result").at("algorithm"), "ES256");
    EXPECT_EQ(cards.pins_used, std::vector<std::string>{"1234"});
    ASSERT_EQ(prompts.shown.size(), 1u);
    EXPECT_NE(prompts.shown[0].description.find(kPortal), std::string::npos);
    EXPECT_NE(prompts.shown[0].prompt.find("legitimering"), std::string::npos);
    ASSERT_EQ(audit.lines.size(), 1u);
    EXPECT_EQ(audit.lines[0].result, "ok");
    EXPECT_EQ(audit.lines[0].origin, kPortal);
    EXPECT_EQ(audit.lines[0].hsa_id, "SE1-A");
}

TEST_F(MethodsTest, AuthenticateNeedsAChoiceAmongSeveral) {
    cards.cards_now[0].certificates.push_back(
        certificate("card-1", "id-pnr", Purpose::identification, std::nullopt, "191212121212"));
    auto answer = web("authenticate", {{"challengeNonce", kNonce}});
    EXPECT_EQ(reason(answer), "CERTIFICATE_SELECTION_REQUIRED");
    EXPECT_EQ(answer.at("error").at("data").at("candidates").as_array().size(), 2u);
    EXPECT_TRUE(prompts.shown.empty());
    EXPECT_EQ(audit_results(), std::vector<std::string>{"CERTIFICATE_SELECTION_REQUIRED"});
    // require picks one of them.
    prompts.script = {"pin 1234"};
    EXPECT_TRUE(
        web("authenticate", {{"challengeNonce", kNonce}, {"require", "hsaId"}}).contains("result"));
}

TEST_F(MethodsTest, AuthenticateRequireThatNoCertificateMeets) {
    auto answer =
        web("authenticate", {{"challengeNonce", kNonce}, {"require", "personalIdentityNumber"}});
    EXPECT_EQ(reason(answer), "NO_CARD");
    EXPECT_EQ(cards.sign_calls, 0);
}

TEST_F(MethodsTest, AuthenticateWithASignatureCertificateIsRefused) {
    auto answer = web("authenticate", {{"challengeNonce", kNonce}, {"certificateId", "sign-hsa"}});
    EXPECT_EQ(reason(answer), "CERTIFICATE_NOT_FOUND");
    EXPECT_NE(answer.at("error").at("message").as_string().find("signature certificate"),
              std::string::npos);
}

TEST_F(MethodsTest, AuthenticateWithAnExpiredCertificate) {
    clock.at += 24h * 400;
    EXPECT_EQ(reason(web("authenticate", {{"challengeNonce", kNonce}})), "CERTIFICATE_EXPIRED");
    EXPECT_TRUE(prompts.shown.empty());
}

CardError wrong_pin(PinStatus after) {
    CardError e(CardErrorReason::pin_incorrect, "wrong");
    e.pin_status = after;
    return e;
}

TEST_F(MethodsTest, AWrongPinIsAskedAgainUntilItIsRight) {
    for (const std::string method : {"authenticate", "sign"}) {
        prompts.shown.clear();
        audit.lines.clear();
        cards.pins_used.clear();
        cards.pin_state.status = PinStatus::ok;
        prompts.script = {"pin 0000", "pin 1234"};
        cards.sign_error = wrong_pin(PinStatus::count_low);
        const auto answer = method == "sign" ? web("sign", sign_params())
                                             : web("authenticate", {{"challengeNonce", kNonce}});
        ASSERT_TRUE(answer.contains("result")) << method << answer;
        EXPECT_EQ(cards.pins_used, (std::vector<std::string>{"0000", "1234"})) << method;
        ASSERT_EQ(prompts.shown.size(), 2u) << method;
        EXPECT_EQ(prompts.shown[0].error, "");
        EXPECT_EQ(prompts.shown[1].error, "Fel PIN-kod. 2 försök kvar.") << method;
        EXPECT_EQ(audit_results(), (std::vector<std::string>{"PIN_INCORRECT", "ok"})) << method;
        EXPECT_EQ(audit.lines[0].method, method);
    }
}

TEST_F(MethodsTest, WrongPinsUntilBlockedEndWithPinBlockedAndNoFurtherTry) {
    prompts.script = {"pin 1", "pin 2", "pin 3", "pin 4"};
    cards.sign_error = wrong_pin(PinStatus::count_low);
    cards.more_sign_errors = {wrong_pin(PinStatus::final_try), wrong_pin(PinStatus::locked)};
    const auto answer = web("sign", sign_params());
    EXPECT_EQ(reason(answer), "PIN_BLOCKED");
    EXPECT_EQ(answer.at("error").at("data").at("triesLeft"), 0);
    EXPECT_EQ(cards.sign_calls, 3) << "never a try on a blocked PIN";
    ASSERT_EQ(prompts.shown.size(), 3u);
    EXPECT_EQ(prompts.shown[2].error, "Fel PIN-kod. Sista försöket: fel PIN spärrar koden.");
    EXPECT_EQ(audit_results(), (std::vector<std::string>{"PIN_INCORRECT", "PIN_INCORRECT",
                                                         "PIN_INCORRECT", "PIN_BLOCKED"}));
    EXPECT_EQ(cards.rereads, 3) << "the PIN state is read again after every try";
}

TEST_F(MethodsTest, CancelAfterAWrongPinTellsTheTriesLeft) {
    config.language = "en";
    prompts.script = {"pin 0000", "cancel"};
    cards.sign_error = wrong_pin(PinStatus::count_low);
    auto answer = web("authenticate", {{"challengeNonce", kNonce}});
    EXPECT_EQ(reason(answer), "USER_CANCELLED");
    EXPECT_EQ(answer.at("error").at("data").at("pinStatus"), "countLow");
    EXPECT_EQ(answer.at("error").at("data").at("triesLeft"), 2);
    ASSERT_EQ(prompts.shown.size(), 2u);
    EXPECT_EQ(prompts.shown[1].error, "Wrong PIN. 2 tries left.");
    EXPECT_EQ(cards.sign_calls, 1) << "no try made by software";
    EXPECT_EQ(audit_results(), (std::vector<std::string>{"PIN_INCORRECT", "USER_CANCELLED"}));
}

TEST_F(MethodsTest, ATokenThatDoesNotCountIsAskedABoundedNumberOfTimes) {
    prompts.script.assign(10, "pin 0");
    cards.sign_error = wrong_pin(PinStatus::unknown);
    cards.more_sign_errors.assign(9, wrong_pin(PinStatus::unknown));
    const auto answer = web("authenticate", {{"challengeNonce", kNonce}});
    EXPECT_EQ(reason(answer), "PIN_INCORRECT");
    EXPECT_FALSE(answer.at("error").at("data").as_object().contains("triesLeft"));
    EXPECT_EQ(cards.sign_calls, daemon::kMaxPinAsks);
    EXPECT_EQ(prompts.shown.back().error, "Fel PIN-kod.");
}

TEST_F(MethodsTest, ABlockedPinIsNeverTriedNorAskedFor) {
    cards.pin_state.status = PinStatus::locked;
    EXPECT_EQ(reason(web("authenticate", {{"challengeNonce", kNonce}})), "PIN_BLOCKED");
    EXPECT_EQ(reason(web("sign", sign_params())), "PIN_BLOCKED");
    EXPECT_TRUE(prompts.shown.empty());
    EXPECT_EQ(cards.sign_calls, 0);
}

TEST_F(MethodsTest, PromptEndingsBecomeTheirErrors) {
    const std::vector<std::pair<std::string, std::string>> endings{
        {"cancel", "USER_CANCELLED"},
        {"timeout", "TIMEOUT"},
        {"unavailable", "PROMPT_UNAVAILABLE"}};
    for (const auto& [answer, expected] : endings) {
        prompts.script = {answer};
        EXPECT_EQ(reason(web("authenticate", {{"challengeNonce", kNonce}})), expected) << answer;
        prompts.script = {answer};
        EXPECT_EQ(reason(web("sign", sign_params())), expected) << answer;
    }
    EXPECT_EQ(cards.sign_calls, 0);
    EXPECT_EQ(audit.lines.size(), 6u);
}

TEST_F(MethodsTest, CardRemovedDuringTheOperation) {
    prompts.script = {"pin 1234"};
    cards.sign_error = CardError(CardErrorReason::card_removed, "gone");
    EXPECT_EQ(reason(web("authenticate", {{"challengeNonce", kNonce}})), "CARD_REMOVED");
    EXPECT_EQ(cards.refreshes, 1) << "the cards are read again";
}

TEST_F(MethodsTest, CancelledWhileTheJobWaitedOnTheQueue) {
    cards.run_at_once = false;
    auto client = open(web_peer(kPortal));
    EXPECT_TRUE(call(client, "authenticate", {{"challengeNonce", kNonce}}, 1, 0ms).empty());
    auto cancelled = call(client, "cancel", {{"id", 1}}, 2);
    EXPECT_EQ(cancelled.at("result").at("cancelled"), true);
    cards.run_queued();
    EXPECT_TRUE(prompts.shown.empty()) << "nobody is asked for a cancelled request";
    EXPECT_EQ(audit_results(), std::vector<std::string>{"USER_CANCELLED"});
    std::size_t answers_for_1 = 0;
    for (const auto& m : client->sent())
        if (m.contains("id") && m.at("id") == 1) ++answers_for_1;
    EXPECT_EQ(answers_for_1, 1u) << "exactly one answer";
}

TEST_F(MethodsTest, ClientGoneDuringThePromptMeansNoSignature) {
    auto client = open(web_peer(kPortal));
    prompts.script = {"pin 1234"};
    prompts.while_asking = [&] { dispatcher().on_close(client); };
    call(client, "sign", sign_params());
    EXPECT_EQ(cards.sign_calls, 0);
    EXPECT_EQ(audit_results(), std::vector<std::string>{"USER_CANCELLED"});
}

TEST_F(MethodsTest, AFullQueueIsBusy) {
    cards.queue_full = true;
    EXPECT_EQ(reason(web("authenticate", {{"challengeNonce", kNonce}})), "BUSY");
}

TEST_F(MethodsTest, NoAnswerWithoutItsAuditLine) {
    audit.full = true;
    prompts.script = {"pin 1234"};
    EXPECT_EQ(reason(web("sign", sign_params())), "INTERNAL_ERROR");
}

TEST_F(MethodsTest, TheIdentificationPinCacheKeepsTheLogin) {
    config.identification_pin_cache = 300s;
    prompts.script = {"pin 1234"};
    EXPECT_TRUE(web("authenticate", {{"challengeNonce", kNonce}}).contains("result"));
    EXPECT_TRUE(cards.kept);
    EXPECT_TRUE(web("authenticate", {{"challengeNonce", kNonce}}).contains("result"));
    EXPECT_EQ(prompts.shown.size(), 1u) << "the kept login signs without a prompt";
}

TEST_F(MethodsTest, ALocalProgramNamesTheOriginAndTheProgramIsAudited) {
    auto client = open(local_peer());
    prompts.script = {"pin 1234"};
    auto answer = call(client, "authenticate", {{"challengeNonce", kNonce}, {"origin", kPortal}});
    ASSERT_TRUE(answer.contains("result")) << answer;
    EXPECT_EQ(audit.lines.back().origin, kPortal + " (/usr/bin/journal-app)");
    EXPECT_EQ(reason(call(client, "authenticate", {{"challengeNonce", kNonce}})), "INVALID_PARAMS");
    EXPECT_EQ(reason(call(client, "authenticate",
                          {{"challengeNonce", kNonce}, {"origin", "not an origin"}})),
              "INVALID_PARAMS");
}

// ---- sign

TEST_F(MethodsTest, SignShowsTheTextAndAuditsTheHashes) {
    prompts.script = {"pin 5678"};
    auto answer = web("sign", sign_params("Remiss 4711 till Kardiologen"));
    ASSERT_TRUE(answer.contains("result")) << answer;
    EXPECT_EQ(answer.at("result").at("algorithm"), "ES256");
    ASSERT_EQ(prompts.shown.size(), 1u);
    EXPECT_NE(prompts.shown[0].description.find("Remiss 4711 till Kardiologen"), std::string::npos);
    EXPECT_NE(prompts.shown[0].prompt.find("underskrift"), std::string::npos);
    EXPECT_FALSE(cards.kept) << "the signing PIN is never kept";
    ASSERT_EQ(audit.lines.size(), 1u);
    EXPECT_EQ(audit.lines[0].display_text_sha256.size(), 64u);
    EXPECT_EQ(audit.lines[0].signed_hash_sha256.size(), 64u);
}

// A raw signature without displayText (a page written for Web eID): the prompt says plainly that
// the page did not say what is signed, and names it; CMS still needs the text.
TEST_F(MethodsTest, RawSignWithoutTextSaysSoInThePrompt) {
    prompts.script = {"pin 5678"};
    auto answer = web("sign", {{"data", "aGVsbG8="}, {"format", "raw"}});
    ASSERT_TRUE(answer.contains("result")) << answer;
    ASSERT_EQ(prompts.shown.size(), 1u);
    const auto& description = prompts.shown[0].description;
    EXPECT_NE(description.find(std::string("Ingen text att visa: ") + kPortal +
                               " har inte sagt vad du skriver under."),
              std::string::npos)
        << description;
    ASSERT_EQ(audit.lines.size(), 1u);
    EXPECT_EQ(audit.lines[0].display_text_sha256, "");
    EXPECT_EQ(reason(web("sign", {{"data", "aGVsbG8="}, {"format", "cms"}})), "INVALID_PARAMS");
}

TEST_F(MethodsTest, SignWithoutASignatureKey) {
    cards.cards_now[0].certificates.pop_back();
    auto answer = web("sign", sign_params());
    EXPECT_EQ(reason(answer), "CERTIFICATE_NOT_FOUND");
    EXPECT_NE(answer.at("error").at("message").as_string().find("no signature key"),
              std::string::npos);
    auto with_id = sign_params();
    with_id["certificateId"] = "id-hsa";
    EXPECT_EQ(reason(web("sign", with_id)), "CERTIFICATE_NOT_FOUND");
}

TEST_F(MethodsTest, SignErrorsFromTheCard) {
    prompts.script = {"pin 1"};
    cards.sign_error = CardError(CardErrorReason::card_removed, "gone");
    EXPECT_EQ(reason(web("sign", sign_params())), "CARD_REMOVED");
    clock.at += 24h * 400;
    EXPECT_EQ(reason(web("sign", sign_params())), "CERTIFICATE_EXPIRED");
    EXPECT_EQ(audit_results(), (std::vector<std::string>{"CARD_REMOVED", "CERTIFICATE_EXPIRED"}));
}

TEST_F(MethodsTest, ThePromptTellsTwinCertificatesApart) {
    auto& certs = cards.cards_now[0].certificates;
    certs.push_back(
        certificate("card-1", "id-pnr", Purpose::identification, std::nullopt, "191212121212"));
    prompts.script = {"pin 1", "pin 2"};
    ASSERT_TRUE(web("authenticate", {{"challengeNonce", kNonce}, {"certificateId", "id-pnr"}})
                    .contains("result"));
    ASSERT_TRUE(web("authenticate", {{"challengeNonce", kNonce}, {"certificateId", "id-hsa"}})
                    .contains("result"));
    ASSERT_EQ(prompts.shown.size(), 2u);
    EXPECT_NE(prompts.shown[0].description.find("(personnummer 19121212-****)"), std::string::npos)
        << prompts.shown[0].description;
    EXPECT_EQ(prompts.shown[0].description.find("191212121212"), std::string::npos);
    EXPECT_NE(prompts.shown[1].description.find("(HSA-ID SE1-A)"), std::string::npos);
    // A card with one signing certificate: the name alone.
    prompts.script = {"pin 3"};
    ASSERT_TRUE(web("sign", sign_params()).contains("result"));
    EXPECT_EQ(prompts.shown[2].description.find("HSA-ID"), std::string::npos);
    EXPECT_EQ(daemon::masked_personnummer("121212-1212"), "19121212-****");
    EXPECT_EQ(daemon::masked_personnummer("abc"), "****");
}

TEST_F(MethodsTest, BadSignParamsAreAuditedAndNamed) {
    auto answer = web("sign", {{"displayText", "x"}});
    EXPECT_EQ(reason(answer), "INVALID_PARAMS");
    EXPECT_EQ(audit_results(), std::vector<std::string>{"INVALID_PARAMS"});
}

// ---- PIN management (local programs only)

TEST_F(MethodsTest, ChangePinAsksForBothPinsThroughThePrompt) {
    auto client = open(local_peer());
    prompts.script = {"pin 1111", "pin 2222"};
    auto answer = call(client, "changePin", {{"cardId", "card-1"}, {"pin", "signing"}});
    ASSERT_TRUE(answer.contains("result")) << answer;
    EXPECT_EQ(cards.pins_used, (std::vector<std::string>{"1111", "2222"}));
    ASSERT_EQ(prompts.shown.size(), 2u);
    EXPECT_NE(prompts.shown[0].description.find("PIN för underskrift"), std::string::npos);
    EXPECT_EQ(audit.lines.back().method, "changePin");
    EXPECT_EQ(reason(call(client, "unblockPin", {{"cardId", "nope"}, {"pin", "signing"}})),
              "NO_CARD");
    // A wrong PUK is asked again (the new PIN is not); then the person cancels.
    prompts.shown.clear();
    cards.pins_used.clear();
    prompts.script = {"pin 1", "pin 2", "pin 3", "cancel"};
    cards.sign_error = CardError(CardErrorReason::pin_incorrect, "wrong PUK");
    cards.more_sign_errors = {CardError(CardErrorReason::pin_incorrect, "wrong PUK")};
    EXPECT_EQ(reason(call(client, "unblockPin", {{"cardId", "card-1"}, {"pin", "signing"}})),
              "USER_CANCELLED");
    EXPECT_EQ(cards.pins_used, (std::vector<std::string>{"1", "2", "3", "2"}));
    ASSERT_EQ(prompts.shown.size(), 4u);
    EXPECT_EQ(prompts.shown[2].error, "Fel PUK-kod.");
    EXPECT_EQ(prompts.shown[2].prompt, "PUK:");
}

TEST_F(MethodsTest, ChangingABlockedPinAsksNothing) {
    auto client = open(local_peer());
    cards.pin_state.status = PinStatus::locked;
    EXPECT_EQ(reason(call(client, "changePin", {{"cardId", "card-1"}, {"pin", "signing"}})),
              "PIN_BLOCKED");
    EXPECT_TRUE(prompts.shown.empty());
    EXPECT_TRUE(cards.pins_used.empty());
}

// ---- routing from the method table

TEST_F(MethodsTest, TheTableDecidesWhoMayCallWhat) {
    EXPECT_EQ(reason(web("changePin", {{"cardId", "card-1"}})), "LOCAL_ONLY");
    EXPECT_EQ(reason(web("status")), "LOCAL_ONLY");
    EXPECT_EQ(reason(web("fly")), "METHOD_NOT_FOUND");
    auto hello = web("hello");
    EXPECT_EQ(hello.at("result").at("methods").as_array().size(), 6u);
    EXPECT_EQ(hello.at("result").at("origin").as_string(), kPortal);
    auto local = call(open(local_peer()), "hello");
    EXPECT_EQ(local.at("result").at("methods").as_array().size(), 10u);
    EXPECT_TRUE(local.at("result").at("origin").is_null());
    EXPECT_TRUE(call(open(local_peer()), "status").contains("result"));
}

TEST_F(MethodsTest, AnUnknownOriginIsAskedOnceAndRemembered) {
    auto client = open(web_peer("https://new.example.se", OriginStatus::unknown));
    EXPECT_TRUE(client->sent().empty()) << "no notifications before consent";
    prompts.script = {"no"};
    EXPECT_EQ(reason(call(client, "listCards")), "ORIGIN_DENIED");
    EXPECT_EQ(reason(call(client, "listCards")), "ORIGIN_DENIED");
    EXPECT_EQ(prompts.shown.size(), 1u);
    EXPECT_EQ(audit.lines.back().result, "deny");
    auto other = open(web_peer("https://other.example.se", OriginStatus::unknown), 2);
    prompts.script = {"yes"};
    EXPECT_TRUE(call(other, "listCards").contains("result"));
    EXPECT_EQ(
        reason(call(open(web_peer("https://x.example.se", OriginStatus::denied), 3), "listCards")),
        "ORIGIN_DENIED");
}

TEST_F(MethodsTest, RateLimitFromTheConfig) {
    config.rate_limit_per_minute = 2;
    cards.queue_full = true;  // the requests need not get far
    auto client = open(web_peer(kPortal));
    EXPECT_EQ(reason(call(client, "authenticate", {{"challengeNonce", kNonce}})), "BUSY");
    EXPECT_EQ(reason(call(client, "authenticate", {{"challengeNonce", kNonce}})), "BUSY");
    EXPECT_EQ(reason(call(client, "authenticate", {{"challengeNonce", kNonce}})), "RATE_LIMITED");
    EXPECT_TRUE(call(client, "listCards").contains("result")) << "only prompting methods count";
    // Local programs are not limited.
    auto local = open(local_peer(), 2);
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(
            reason(call(local, "authenticate", {{"challengeNonce", kNonce}, {"origin", kPortal}})),
            "BUSY");
}

TEST_F(MethodsTest, ShutdownAnswersWhatWaits) {
    cards.run_at_once = false;
    auto client = open(web_peer(kPortal));
    call(client, "authenticate", {{"challengeNonce", kNonce}}, 1, 0ms);
    dispatcher().on_shutdown();
    EXPECT_EQ(reason(client->sent().back()), "SHUTTING_DOWN");
    EXPECT_EQ(reason(call(client, "listCards")), "SHUTTING_DOWN");
    cards.run_queued();
    EXPECT_EQ(audit_results(), std::vector<std::string>{"SHUTTING_DOWN"});
}

// ---- hostile cases (issue 16)

TEST_F(MethodsTest, AnIdAlreadyPendingIsRefusedAndCancelReachesTheFirst) {
    cards.run_at_once = false;
    auto client = open(web_peer(kPortal));
    EXPECT_TRUE(call(client, "authenticate", {{"challengeNonce", kNonce}}, 1, 0ms).empty());
    auto duplicate = call(client, "listCards", {}, 1);
    ASSERT_TRUE(duplicate.contains("error")) << duplicate;
    EXPECT_EQ(duplicate.at("error").at("code"), -32600);
    EXPECT_NE(std::string(duplicate.at("error").at("message").as_string()).find("id 1 "),
              std::string::npos)
        << duplicate;
    EXPECT_EQ(call(client, "cancel", {{"id", 1}}, 2).at("result").at("cancelled"), true);
    cards.run_queued();
    EXPECT_TRUE(call(client, "listCards", {}, 1).contains("result")) << "answered: free again";
}

TEST_F(MethodsTest, TheCardRemovedDuringThePromptAnswersCardRemoved) {
    prompts.script = {"pin 1234"};
    prompts.while_asking = [&] {
        const auto before = cards.cards_now;
        cards.cards_now.clear();
        dispatcher().on_cards_changed(before, cards.cards_now);
    };
    EXPECT_EQ(reason(web("sign", sign_params())), "CARD_REMOVED");
    EXPECT_EQ(cards.sign_calls, 0);
    EXPECT_EQ(audit_results(), std::vector<std::string>{"CARD_REMOVED"});
}

TEST_F(MethodsTest, APinOfTheWrongLengthIsAskedAgainNeverTried) {
    cards.pin_state.min_length = 4;
    cards.pin_state.max_length = 8;
    prompts.script = {"pin", "pin 12", "pin 123456789", "pin 1234"};
    EXPECT_TRUE(web("authenticate", {{"challengeNonce", kNonce}}).contains("result"));
    EXPECT_EQ(cards.pins_used, std::vector<std::string>{"1234"});
    ASSERT_EQ(prompts.shown.size(), 4u);
    EXPECT_TRUE(prompts.shown[0].error.empty());
    EXPECT_NE(prompts.shown[1].error.find("4 till 8"), std::string::npos);
    // Only empty answers: the person is taken to have given up, and the card never saw one.
    prompts.script.assign(daemon::kPinLengthAsks, "pin");
    EXPECT_EQ(reason(web("sign", sign_params())), "USER_CANCELLED");
    EXPECT_EQ(cards.sign_calls, 1);
}

TEST_F(MethodsTest, ChangePinOnABlockedPinAsksForNothing) {
    cards.pin_state.status = PinStatus::locked;
    prompts.script = {"pin 1111", "pin 2222"};
    auto client = open(local_peer());
    EXPECT_EQ(reason(call(client, "changePin", {{"cardId", "card-1"}, {"pin", "signing"}})),
              "PIN_BLOCKED");
    EXPECT_TRUE(prompts.shown.empty());
    EXPECT_TRUE(cards.pins_used.empty());
}

TEST_F(MethodsTest, TheExtensionsHostIntroducesThePagesOrigin) {
    auto host = open(local_peer());
    auto answer = call(host, "introduce", {{"as", "extension"}, {"origin", kPortal}});
    ASSERT_TRUE(answer.contains("result")) << answer;
    EXPECT_EQ(answer.at("result").at("originStatus").as_string(), "allowed");
    // From now on it is a page: page methods only, its origin in the token and the audit line.
    EXPECT_EQ(reason(call(host, "status")), "LOCAL_ONLY");
    EXPECT_EQ(reason(call(host, "introduce", {{"as", "browserModule"}})), "LOCAL_ONLY");
    EXPECT_EQ(reason(call(host, "authenticate", {{"challengeNonce", kNonce}, {"origin", kPortal}})),
              "INVALID_PARAMS");
    prompts.script = {"pin 1234"};
    EXPECT_TRUE(call(host, "authenticate", {{"challengeNonce", kNonce}}).contains("result"));
    EXPECT_EQ(audit.lines.back().origin, kPortal);
    auto hello = call(host, "hello");
    EXPECT_EQ(hello.at("result").at("origin").as_string(), kPortal);
    EXPECT_EQ(hello.at("result").at("methods").as_array().size(), 6u);
}

TEST_F(MethodsTest, TheExtensionsOriginMeetsThePolicyOfAPage) {
    auto plain = call(open(local_peer()), "introduce",
                      {{"as", "extension"}, {"origin", "http://portal.example.se"}});
    EXPECT_EQ(reason(plain), "ORIGIN_DENIED") << "not https and not allowed";
    auto unknown = open(local_peer(), 2);
    EXPECT_TRUE(
        call(unknown, "introduce", {{"as", "extension"}, {"origin", "https://new.example.se"}})
            .contains("result"));
    prompts.script = {"no"};
    EXPECT_EQ(reason(call(unknown, "listCards")), "ORIGIN_DENIED") << "the person was asked";
    EXPECT_EQ(prompts.shown.size(), 1u);
}

TEST(HandlerTable, EveryRowHasItsHandler) {
    for (const auto& row : protocol::method_table())
        EXPECT_NE(daemon::find_handler(row.name), nullptr) << row.name;
}

}  // namespace
}  // namespace sithsd::test
