// The browser module's methods (daemon/methods/module.cpp) through the dispatcher, with fakes:
// only a connection introduced as the browser module reaches them; only identification
// certificates (HSA-ID ones unless browser_certificates = "all") are offered; moduleSign asks the
// identification PIN itself, re-asks a wrong one, never tries a blocked one.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "daemon/config.hpp"
#include "daemon/consent_store.hpp"
#include "daemon/dispatcher.hpp"
#include "fakes.hpp"

namespace sithsd::test {
namespace {

using pkcs11::CardError;
using pkcs11::CardErrorReason;
using pkcs11::PinStatus;

const std::string kFirefox = "/usr/lib/firefox-esr/firefox-esr";  // a known browser

class ModuleMethodsTest : public ::testing::Test, protected FakeServices {
  protected:
    ModuleMethodsTest() : FakeServices("module-methods") {
        config.language = "sv";
        pkcs11::CardInfo card;
        card.card_id = "card-1";
        card.identification = pkcs11::PinInfo{};
        card.signing = pkcs11::PinInfo{};
        card.certificates = {
            certificate("card-1", "id-hsa", Purpose::identification, "SE1-A"),
            certificate("card-1", "sign-hsa", Purpose::signing, "SE1-A"),
            certificate("card-1", "id-pnr", Purpose::identification, std::nullopt, "191212121212")};
        cards.cards_now = {card};
    }
    daemon::Dispatcher& dispatcher() {
        if (!dispatcher_)
            dispatcher_.emplace(config, daemon::OriginPolicy({}, {}, true), cards, prompts, audit,
                                consent, clock);
        return *dispatcher_;
    }
    // A local connection of a browser; introduced as the browser module unless told otherwise.
    std::shared_ptr<FakeConnection> module(bool introduce = true) {
        return program_module(kFirefox, introduce);
    }
    std::shared_ptr<FakeConnection> program_module(const std::string& program,
                                                   bool introduce = true) {
        daemon::Peer peer = local_peer();
        peer.program = program;
        auto c = std::make_shared<FakeConnection>(peer, 1);
        dispatcher().on_open(c);
        if (introduce) call(c, "introduce", {{"as", "browserModule"}}, 1);
        return c;
    }
    boost::json::object call(const std::shared_ptr<FakeConnection>& c, const std::string& method,
                             boost::json::object params = {}, int id = 7) {
        return answer_to(dispatcher(), c, method, std::move(params), id);
    }
    static std::string reason(const boost::json::object& answer) { return error_reason(answer); }
    std::vector<std::string> offered_ids(const boost::json::object& answer) {
        std::vector<std::string> ids;
        for (const auto& card : answer.at("result").at("cards").as_array())
            for (const auto& cert : card.at("certificates").as_array())
                ids.emplace_back(cert.at("certificateId").as_string());
        return ids;
    }
    static boost::json::object ecdsa(const std::string& id = "id-hsa") {
        return {{"certificateId", id},
                {"mechanism", "ECDSA"},
                {"data", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}};  // 32 bytes
    }

    std::optional<daemon::Dispatcher> dispatcher_;
};

TEST_F(ModuleMethodsTest, OnlyTheIntroducedModuleReachesTheMethods) {
    auto plain = module(false);
    EXPECT_TRUE(call(plain, "moduleCertificates").contains("error"));
    EXPECT_TRUE(call(plain, "moduleSign", ecdsa()).contains("error"));
    // hello's list for a local program is unchanged: no module method in it.
    const auto hello = call(plain, "hello");
    for (const auto& m : hello.at("result").at("methods").as_array())
        EXPECT_FALSE(std::string(m.as_string()).starts_with("module")) << m;
    auto introduced = call(module(false), "introduce", {{"as", "browserModule"}});
    std::vector<std::string> methods;
    for (const auto& m : introduced.at("result").at("methods").as_array())
        methods.emplace_back(m.as_string());
    EXPECT_EQ(methods, (std::vector<std::string>{"moduleCertificates", "moduleSign"}));
    EXPECT_EQ(cards.sign_calls, 0);
}

TEST_F(ModuleMethodsTest, OffersHsaIdIdentificationCertificatesOnly) {
    const auto answer = call(module(), "moduleCertificates");
    EXPECT_EQ(offered_ids(answer), std::vector<std::string>{"id-hsa"});
    const auto& cert = answer.at("result").at("cards").at(0).at("certificates").at(0);
    EXPECT_EQ(cert.at("keyType"), "EC");
    EXPECT_TRUE(cert.at("publicKey").as_object().contains("ecPoint"));
    EXPECT_FALSE(cert.at("certificate").as_string().empty());
}

TEST_F(ModuleMethodsTest, AllOffersEveryIdentificationCertificateButNoSignatureOne) {
    config.browser_all_certificates = true;
    EXPECT_EQ(offered_ids(call(module(), "moduleCertificates")),
              (std::vector<std::string>{"id-hsa", "id-pnr"}));
}

TEST_F(ModuleMethodsTest, SignsWithTheIdentificationPinAskedByTheDaemon) {
    prompts.script = {"pin 1234"};
    const auto answer = call(module(), "moduleSign", ecdsa());
    ASSERT_TRUE(answer.contains("result")) << answer;
    EXPECT_FALSE(answer.at("result").at("signature").as_string().empty());
    ASSERT_EQ(prompts.shown.size(), 1u);
    EXPECT_EQ(prompts.shown[0].prompt, "PIN för legitimering:");
    EXPECT_NE(prompts.shown[0].description.find("Begärt av: "), std::string::npos);
    EXPECT_EQ(cards.pins_used, std::vector<std::string>{"1234"});
    ASSERT_EQ(audit.lines.size(), 1u);
    EXPECT_EQ(audit.lines[0].method, "moduleSign");
    EXPECT_EQ(audit.lines[0].hash_algorithm, "ECDSA");
    EXPECT_EQ(audit.lines[0].result, "ok");
}

TEST_F(ModuleMethodsTest, NeverASignatureKey) {
    const auto answer = call(module(), "moduleSign", ecdsa("sign-hsa"));
    EXPECT_EQ(reason(answer), "CERTIFICATE_NOT_FOUND");
    EXPECT_TRUE(prompts.shown.empty());
    EXPECT_EQ(cards.sign_calls, 0);
}

TEST_F(ModuleMethodsTest, AWrongPinIsAskedAgain) {
    CardError wrong(CardErrorReason::pin_incorrect, "wrong");
    wrong.pin_status = PinStatus::count_low;
    cards.sign_error = wrong;
    prompts.script = {"pin 1111", "pin 1234"};
    const auto answer = call(module(), "moduleSign", ecdsa());
    ASSERT_TRUE(answer.contains("result")) << answer;
    EXPECT_EQ(cards.pins_used, (std::vector<std::string>{"1111", "1234"}));
    ASSERT_EQ(prompts.shown.size(), 2u);
    EXPECT_NE(prompts.shown[1].description.find("färre försök"), std::string::npos);
    EXPECT_EQ(prompts.shown[1].error, "Fel PIN-kod. 2 försök kvar.");
    ASSERT_EQ(audit.lines.size(), 2u);
    EXPECT_EQ(audit.lines[0].result, "PIN_INCORRECT");
    EXPECT_EQ(audit.lines[1].result, "ok");
}

TEST_F(ModuleMethodsTest, ABlockedPinIsNeverTried) {
    cards.pin_state.status = PinStatus::locked;
    EXPECT_EQ(reason(call(module(), "moduleSign", ecdsa())), "PIN_BLOCKED");
    EXPECT_TRUE(prompts.shown.empty());
    EXPECT_EQ(cards.sign_calls, 0);
    ASSERT_EQ(audit.lines.size(), 1u);
    EXPECT_EQ(audit.lines[0].result, "PIN_BLOCKED");
}

TEST_F(ModuleMethodsTest, CancelEndsTheSignature) {
    prompts.script = {"cancel"};
    EXPECT_EQ(reason(call(module(), "moduleSign", ecdsa())), "USER_CANCELLED");
    EXPECT_EQ(cards.sign_calls, 0);
}

TEST_F(ModuleMethodsTest, TheKeptIdentificationLoginIsUsed) {
    config.identification_pin_cache = std::chrono::seconds(60);
    prompts.script = {"pin 1234"};
    ASSERT_TRUE(call(module(), "moduleSign", ecdsa()).contains("result"));
    const auto answer = call(module(), "moduleSign", ecdsa());
    ASSERT_TRUE(answer.contains("result")) << answer;
    EXPECT_EQ(prompts.shown.size(), 1u) << "the same browser's next handshake asks nothing";
    EXPECT_EQ(cards.kept_signs, 1);
}

TEST_F(ModuleMethodsTest, BadParamsAreRefused) {
    auto c = module();
    auto rsa = ecdsa();
    rsa["mechanism"] = "RSA_PKCS";  // the key is EC
    EXPECT_EQ(reason(call(c, "moduleSign", rsa)), "INVALID_PARAMS");
    auto pss = ecdsa();
    pss["mechanism"] = "RSA_PKCS_PSS";
    pss["hash"] = "SHA-256";
    pss["mgf"] = "SHA-384";
    pss["saltLength"] = 32;
    EXPECT_EQ(reason(call(c, "moduleSign", pss)), "INVALID_PARAMS");
    auto other = ecdsa();
    other["mechanism"] = "SHA256_RSA_PKCS";
    EXPECT_EQ(reason(call(c, "moduleSign", other)), "INVALID_PARAMS");
    EXPECT_EQ(cards.sign_calls, 0);
}

}  // namespace
}  // namespace sithsd::test
