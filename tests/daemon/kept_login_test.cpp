// Issue 23, point 7: the identification PIN cache is scoped to requesters. A login kept for one
// requester (an origin, the browser module of one browser, a local program by its executable)
// serves it alone; another gets the PIN, or, an origin on the allow list, a confirm naming both.
// moduleSign is served to browser programs only. The book of kept logins (KeptLogins) on its own,
// then the handlers through the dispatcher with the fakes.
#include <gtest/gtest.h>

#include <filesystem>

#include "daemon/browser_programs.hpp"
#include "daemon/config.hpp"
#include "daemon/consent_store.hpp"
#include "daemon/dispatcher.hpp"
#include "daemon/kept_logins.hpp"
#include "fakes.hpp"

namespace sithsd::test {
namespace {

using daemon::LoginHolder;

const std::string kNonce(44, 'N');
const std::string kPortal = "https://portal.example.se";          // on the allow list
const std::string kKiv = "https://kiv.example.se";                // on the allow list
const std::string kAllowedOnce = "https://allowed-once.example";  // allowed by the person
const std::string kFirefox = "/usr/lib/firefox-esr/firefox-esr";
const std::string kChromium = "/usr/lib/chromium/chromium";

// ---- the book

TEST(KeptLogins, ALoginServesWhomItWasKeptForUntilItEnds) {
    daemon::KeptLogins book;
    const auto now = std::chrono::steady_clock::now();
    EXPECT_TRUE(book.empty());
    EXPECT_FALSE(book.share("card-1", {"origin b", "b"})) << "nothing kept: nothing to share";
    book.keep("card-1", {"origin a", "a"}, now + 60s);
    EXPECT_TRUE(book.serves("card-1", "origin a"));
    EXPECT_FALSE(book.serves("card-1", "origin b"));
    EXPECT_FALSE(book.serves("card-2", "origin a"));
    EXPECT_TRUE(book.share("card-1", {"origin b", "b"}));
    EXPECT_TRUE(book.share("card-1", {"origin b", "b"}));
    ASSERT_EQ(book.holders("card-1").size(), 2u) << "a holder is listed once";
    EXPECT_EQ(book.holders("card-1")[0].name, "a") << "the one who typed the PIN first";
    // A fresh login is its requester's alone.
    book.keep("card-1", {"program /usr/bin/x", "/usr/bin/x"}, now + 30s);
    EXPECT_FALSE(book.serves("card-1", "origin a"));
    EXPECT_EQ(book.next_end(), now + 30s);
    book.keep("card-2", {"origin a", "a"}, now + 90s);
    EXPECT_EQ(book.take_ended(now + 30s), std::vector<std::string>{"card-1"});
    EXPECT_FALSE(book.serves("card-1", "program /usr/bin/x"));
    book.forget_unless([](const std::string& card) { return card != "card-2"; });
    EXPECT_TRUE(book.empty());
    EXPECT_FALSE(book.next_end());
}

// ---- which programs are browsers

TEST(BrowserPrograms, KnownOnesConfiguredOnesAndNothingElse) {
    EXPECT_TRUE(daemon::is_browser_program(kFirefox, {}));
    EXPECT_TRUE(daemon::is_browser_program(kChromium, {}));
    EXPECT_TRUE(daemon::is_browser_program("/opt/google/chrome/chrome", {}));
    EXPECT_TRUE(daemon::is_browser_program(kChromium + " (deleted)", {})) << "updated meanwhile";
    EXPECT_FALSE(daemon::is_browser_program("/usr/bin/python3.11", {}));
    EXPECT_FALSE(daemon::is_browser_program("/usr/bin/chromium", {})) << "the launcher script";
    EXPECT_FALSE(daemon::is_browser_program("/home/u/usr/lib/chromium/chromium", {}));
    EXPECT_FALSE(daemon::is_browser_program("", {}));
    EXPECT_FALSE(daemon::is_browser_program(" (deleted)", {}));
    EXPECT_TRUE(daemon::is_browser_program("/usr/bin/pkcs11-tool", {"/usr/bin/pkcs11-tool"}));
    for (auto path : daemon::known_browser_programs())
        EXPECT_TRUE(std::filesystem::path(path).is_absolute()) << path;
}

// ---- the handlers

class KeptLoginTest : public ::testing::Test, protected FakeServices {
  protected:
    KeptLoginTest() : FakeServices("kept-login") {
        config.language = "sv";
        config.identification_pin_cache = 300s;
        pkcs11::CardInfo card;
        card.card_id = "card-1";
        card.identification = pkcs11::PinInfo{};
        card.signing = pkcs11::PinInfo{};
        card.certificates = {certificate("card-1", "id-hsa", Purpose::identification, "SE1-A")};
        cards.cards_now = {card};
        consent.remember(kAllowedOnce, true);  // the person allowed it once, long ago
    }
    daemon::Dispatcher& dispatcher() {
        if (!dispatcher_)
            dispatcher_.emplace(
                config,
                daemon::OriginPolicy(protocol::OriginList({*protocol::OriginPattern::parse(kPortal),
                                                           *protocol::OriginPattern::parse(kKiv)}),
                                     {}, true),
                cards, prompts, audit, consent, clock);
        return *dispatcher_;
    }
    std::shared_ptr<FakeConnection> open(daemon::Peer peer) {
        auto c = std::make_shared<FakeConnection>(std::move(peer), ++connections);
        dispatcher().on_open(c);
        return c;
    }
    boost::json::object authenticate(const daemon::Peer& peer, boost::json::object params = {}) {
        params["challengeNonce"] = kNonce;
        return answer_to(dispatcher(), open(peer), "authenticate", std::move(params), 7);
    }
    boost::json::object module_sign(const std::string& program) {
        daemon::Peer peer = local_peer();
        peer.program = program;
        auto c = open(peer);
        answer_to(dispatcher(), c, "introduce", {{"as", "browserModule"}}, 1);
        return answer_to(dispatcher(), c, "moduleSign",
                         {{"certificateId", "id-hsa"},
                          {"mechanism", "ECDSA"},
                          {"data", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}},
                         7);
    }
    // The prompts shown since the count `from`, as "GETPIN" (a PIN prompt) or "CONFIRM".
    std::vector<std::string> kinds(std::size_t from = 0) const {
        std::vector<std::string> out;
        for (auto i = from; i < prompts.shown.size(); ++i)
            out.push_back(prompts.shown[i].prompt.empty() ? "CONFIRM" : "GETPIN");
        return out;
    }

    std::optional<daemon::Dispatcher> dispatcher_;
    std::uint64_t connections = 0;
};

TEST_F(KeptLoginTest, TheSameOriginLogsInAgainWithoutAPrompt) {
    prompts.script = {"pin 1234"};
    ASSERT_TRUE(authenticate(web_peer(kPortal)).contains("result"));
    ASSERT_TRUE(authenticate(web_peer(kPortal)).contains("result")) << "another connection";
    EXPECT_EQ(kinds(), std::vector<std::string>{"GETPIN"});
    EXPECT_EQ(cards.kept_signs, 1);
}

TEST_F(KeptLoginTest, AnOriginThePersonAllowedOnceTypesThePin) {
    prompts.script = {"pin 1234", "pin 1234"};
    ASSERT_TRUE(authenticate(web_peer(kPortal)).contains("result"));
    const auto answer = authenticate(web_peer(kAllowedOnce, daemon::OriginStatus::unknown));
    ASSERT_TRUE(answer.contains("result")) << answer;
    EXPECT_EQ(kinds(), (std::vector<std::string>{"GETPIN", "GETPIN"}));
    EXPECT_NE(prompts.shown[1].description.find(kAllowedOnce), std::string::npos);
    EXPECT_EQ(cards.kept_signs, 0) << "the portal's login served nobody else";
    // Its own fresh login is now kept for it alone: the portal is asked again (to confirm, being
    // on the allow list), and the page is named as the one the card is unlocked for.
    prompts.script = {"yes"};
    ASSERT_TRUE(authenticate(web_peer(kPortal)).contains("result"));
    EXPECT_EQ(kinds(2), std::vector<std::string>{"CONFIRM"});
    EXPECT_NE(prompts.shown[2].description.find("legitimering av " + kAllowedOnce),
              std::string::npos);
}

TEST_F(KeptLoginTest, AnotherAllowListedOriginIsAskedToConfirmNamingBoth) {
    prompts.script = {"pin 1234", "yes"};
    ASSERT_TRUE(authenticate(web_peer(kPortal)).contains("result"));
    const auto answer = authenticate(web_peer(kKiv));
    ASSERT_TRUE(answer.contains("result")) << answer;
    ASSERT_EQ(kinds(), (std::vector<std::string>{"GETPIN", "CONFIRM"}));
    const auto& confirm = prompts.shown[1];
    EXPECT_NE(confirm.description.find("redan upplåst för legitimering av " + kPortal),
              std::string::npos)
        << confirm.description;
    EXPECT_NE(confirm.description.find("logga in på " + kKiv), std::string::npos);
    EXPECT_EQ(confirm.ok, "Logga in");
    EXPECT_EQ(cards.pins_used.size(), 1u) << "no second PIN";
    // Both are served now, without a prompt.
    ASSERT_TRUE(authenticate(web_peer(kKiv)).contains("result"));
    ASSERT_TRUE(authenticate(web_peer(kPortal)).contains("result"));
    EXPECT_EQ(prompts.shown.size(), 2u);
    EXPECT_EQ(cards.kept_signs, 3);
}

TEST_F(KeptLoginTest, ADeclinedConfirmSignsNothing) {
    prompts.script = {"pin 1234", "no"};
    ASSERT_TRUE(authenticate(web_peer(kPortal)).contains("result"));
    EXPECT_EQ(error_reason(authenticate(web_peer(kKiv))), "USER_CANCELLED");
    EXPECT_EQ(cards.kept_signs, 0);
    EXPECT_EQ(cards.sign_calls, 1);
    EXPECT_EQ(audit.lines.back().result, "USER_CANCELLED");
}

TEST_F(KeptLoginTest, WithNothingKeptAnAllowListedOriginTypesThePin) {
    prompts.script = {"pin 1234"};
    ASSERT_TRUE(authenticate(web_peer(kKiv)).contains("result"));
    EXPECT_EQ(kinds(), std::vector<std::string>{"GETPIN"});
}

TEST_F(KeptLoginTest, ALocalProgramTypesThePinWhateverOriginItNames) {
    prompts.script = {"pin 1234", "pin 1234"};
    ASSERT_TRUE(authenticate(web_peer(kPortal)).contains("result"));
    ASSERT_TRUE(authenticate(local_peer(), {{"origin", kPortal}}).contains("result"));
    EXPECT_EQ(kinds(), (std::vector<std::string>{"GETPIN", "GETPIN"}));
    // The same program again: its own login.
    ASSERT_TRUE(authenticate(local_peer(), {{"origin", kKiv}}).contains("result"));
    EXPECT_EQ(prompts.shown.size(), 2u);
    // A program whose executable is unknown keeps nothing.
    daemon::Peer unknown = local_peer();
    unknown.program.clear();
    prompts.script = {"pin 1234", "pin 1234"};
    ASSERT_TRUE(authenticate(unknown, {{"origin", kPortal}}).contains("result"));
    ASSERT_TRUE(authenticate(unknown, {{"origin", kPortal}}).contains("result"));
    EXPECT_EQ(prompts.shown.size(), 4u);
}

TEST_F(KeptLoginTest, TheBrowserModuleKeepsOneLoginPerBrowserProgram) {
    prompts.script = {"pin 1234"};
    ASSERT_TRUE(module_sign(kFirefox).contains("result"));
    ASSERT_TRUE(module_sign(kFirefox).contains("result")) << "Firefox's next handshake";
    EXPECT_EQ(prompts.shown.size(), 1u);
    prompts.script = {"pin 1234"};
    ASSERT_TRUE(module_sign(kChromium).contains("result"));
    EXPECT_EQ(kinds(), (std::vector<std::string>{"GETPIN", "GETPIN"})) << "another browser";
    EXPECT_NE(prompts.shown[1].description.find(kChromium), std::string::npos);
    // A page is not the browser that shows it: the page the person allowed once types the PIN,
    // a portal of the allow list is asked to confirm, naming the browser.
    prompts.script = {"pin 1234", "no"};
    ASSERT_TRUE(authenticate(web_peer(kAllowedOnce)).contains("result"));
    EXPECT_EQ(error_reason(authenticate(web_peer(kPortal))), "USER_CANCELLED");
    EXPECT_EQ(kinds(2), (std::vector<std::string>{"GETPIN", "CONFIRM"}));
    EXPECT_NE(prompts.shown[3].description.find(kAllowedOnce), std::string::npos);
}

TEST_F(KeptLoginTest, AScriptIntroducedAsTheBrowserModuleGetsNoSignature) {
    prompts.script = {"pin 1234"};
    ASSERT_TRUE(authenticate(web_peer(kPortal)).contains("result"));
    const auto answer = module_sign("/usr/bin/python3.11");
    EXPECT_EQ(error_reason(answer), "ORIGIN_DENIED");
    EXPECT_EQ(prompts.shown.size(), 1u) << "not even a prompt";
    EXPECT_EQ(cards.kept_signs, 0);
    EXPECT_EQ(audit.lines.back().method, "moduleSign");
    EXPECT_EQ(audit.lines.back().result, "ORIGIN_DENIED");
    // Named in browser_programs, it is served, and as itself: the portal's login is not its own.
    config.browser_programs = {"/usr/bin/python3.11"};
    prompts.script = {"pin 1234"};
    ASSERT_TRUE(module_sign("/usr/bin/python3.11").contains("result"));
    EXPECT_EQ(kinds(), (std::vector<std::string>{"GETPIN", "GETPIN"}));
}

TEST_F(KeptLoginTest, WithoutTheCacheNothingIsKept) {
    config.identification_pin_cache = 0s;
    prompts.script = {"pin 1234", "pin 1234"};
    ASSERT_TRUE(authenticate(web_peer(kPortal)).contains("result"));
    ASSERT_TRUE(authenticate(web_peer(kPortal)).contains("result"));
    EXPECT_EQ(prompts.shown.size(), 2u);
    EXPECT_FALSE(cards.kept);
}

}  // namespace
}  // namespace sithsd::test
