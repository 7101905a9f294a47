// The doctor's checks as functions: each situation in, the line and the verdict out.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "daemon/doctor/audit_check.hpp"
#include "daemon/doctor/browser_checks.hpp"
#include "daemon/doctor/card_checks.hpp"
#include "daemon/doctor/daemon_check.hpp"
#include "daemon/doctor/doctor_output.hpp"
#include "daemon/doctor/system_checks.hpp"
#include "daemon/nss_databases.hpp"
#include "daemon/tool_runner.hpp"

namespace sithsd::daemon::doctor {
namespace {

using namespace std::chrono_literals;
const auto kNow = std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000));

Situation swedish(bool report = false) {
    return {Say{false}, report, kNow};
}

pkcs11::CardInfo card(pkcs11::PinStatus id_pin, long days_left) {
    pkcs11::CardInfo c;
    c.card_id = "c1";
    c.label = "Tolvan Tolvansson (legitimering)";
    c.reader = "Virtual PCD 00 00";
    c.identification = pkcs11::PinInfo{id_pin, false};
    c.signing = pkcs11::PinInfo{pkcs11::PinStatus::ok, false};
    pkcs11::CardCertificate cert;
    cert.has_private_key = true;
    cert.info.purpose = Purpose::identification;
    cert.info.personal_identity_number = "191212121212";
    cert.info.issuer = "TEST SITHS e-id Person ID 3 CA v1";
    cert.info.not_before = kNow - 24h * 365;
    cert.info.not_after = kNow + 24h * days_left + 1h;
    c.certificates.push_back(cert);
    return c;
}

TEST(DoctorChecks, PcscdAbsentBlocksAndSaysHowToStartIt) {
    pkcs11::ReaderSurvey survey;
    survey.error = "SCardEstablishContext: Service not available.";
    const auto r = check_pcscd(swedish(), survey);
    EXPECT_EQ(r.outcome, Outcome::failed);
    EXPECT_TRUE(r.blocks_login);
    EXPECT_NE(r.advice.find("pcscd"), std::string::npos);
    EXPECT_EQ(check_readers(swedish(), survey).outcome, Outcome::skipped);
}

TEST(DoctorChecks, ReadersNamedWithPinPad) {
    pkcs11::ReaderSurvey survey{true, "", {{"Läsare A", true, true}, {"Läsare B", false, false}}};
    const auto r = check_readers(swedish(), survey);
    EXPECT_EQ(r.outcome, Outcome::ok);
    EXPECT_EQ(r.text, "Kortläsare: Läsare A, Läsare B");
    EXPECT_NE(r.details[0].find("PIN-pad"), std::string::npos);
    survey.readers.clear();
    EXPECT_EQ(check_readers(swedish(), survey).outcome, Outcome::failed);
}

TEST(DoctorChecks, ModulesTriedAreListedAndAMissingOneBlocks) {
    Config config;
    config.modules = {"/nonexistent/libiidp11.so"};
    config.modules_configured = true;
    std::vector<std::shared_ptr<pkcs11::Module>> loaded;
    const auto tries = try_modules(config, loaded);
    EXPECT_TRUE(loaded.empty());
    const auto r = check_modules(swedish(), true, tries);
    EXPECT_EQ(r.outcome, Outcome::failed);
    EXPECT_TRUE(r.blocks_login);
    EXPECT_NE(r.text.find("/nonexistent/libiidp11.so"), std::string::npos);

    config.modules = {"/nonexistent/a.so", "/nonexistent/b.so"};
    config.modules_configured = false;  // the search list: none found
    const auto none = check_modules(swedish(), false, try_modules(config, loaded));
    EXPECT_EQ(none.text, "Ingen PKCS#11-modul hittades");
    EXPECT_EQ(none.details.size(), 2u);
}

TEST(DoctorChecks, CardInReaderButNotInModuleSaysWrongModule) {
    pkcs11::ReaderSurvey survey{true, "", {{"Läsare", true, false}}};
    const auto r = check_card_present(swedish(), true, {}, survey);
    EXPECT_EQ(r.outcome, Outcome::failed);
    EXPECT_NE(r.advice.find("Net iD"), std::string::npos);
    survey.readers[0].card_present = false;
    EXPECT_EQ(check_card_present(swedish(), true, {}, survey).text, "Inget kort hittades");
}

TEST(DoctorChecks, BlockedIdentificationPinBlocksAndNamesTheAdministrator) {
    const auto r = check_pins(swedish(), {card(pkcs11::PinStatus::locked, 400)});
    EXPECT_EQ(r.outcome, Outcome::failed);
    EXPECT_TRUE(r.blocks_login);
    EXPECT_NE(r.advice.find("id-korts-administratör"), std::string::npos);
    EXPECT_NE(r.advice.find("PUK"), std::string::npos);
    EXPECT_EQ(check_pins(swedish(), {card(pkcs11::PinStatus::final_try, 400)}).outcome,
              Outcome::warning);
}

TEST(DoctorChecks, CertificatesNearTheirEndWarnAndExpiredOnesBlock) {
    auto r = check_certificates(swedish(), {card(pkcs11::PinStatus::ok, 20)});
    EXPECT_EQ(r.outcome, Outcome::warning);
    EXPECT_NE(r.text.find("20 dagar"), std::string::npos);
    EXPECT_NE(r.advice.find("3–5 veckor"), std::string::npos);
    r = check_certificates(swedish(), {card(pkcs11::PinStatus::ok, -2)});
    EXPECT_EQ(r.outcome, Outcome::failed);
    EXPECT_TRUE(r.blocks_login);
}

TEST(DoctorChecks, ReportHidesThePersonalNumber) {
    EXPECT_EQ(mask_personal_number("191212121212"), "19121212-****");
    const auto shown = check_certificates(swedish(), {card(pkcs11::PinStatus::ok, 400)});
    EXPECT_NE(shown.details[0].find("191212121212"), std::string::npos);
    const auto hidden = check_certificates(swedish(true), {card(pkcs11::PinStatus::ok, 400)});
    const std::string text =
        render_report(Say{}, {hidden}) + boost::json::serialize(render_json({hidden}));
    EXPECT_EQ(text.find("191212121212"), std::string::npos);
    EXPECT_NE(text.find("19121212-****"), std::string::npos);
}

TEST(DoctorChecks, DaemonNotRunningBlocks) {
    Config config;
    config.unix_socket = "/nonexistent/sithsd.sock";
    DaemonProbe probe;
    probe.error = "nothing listens";
    const auto r = check_daemon(swedish(), config, probe);
    EXPECT_EQ(r.outcome, Outcome::failed);
    EXPECT_NE(r.advice.find("systemctl --user"), std::string::npos);
}

TEST(DoctorChecks, AnAuditLogNotIntactFailsWithoutBlockingLogin) {
    AuditSurvey survey;
    survey.file = "/home/tolvan/.local/state/sithsd/audit.jsonl";
    survey.exists = true;
    EXPECT_EQ(check_audit(swedish(), survey).outcome, Outcome::ok);
    survey.problems.push_back({4, "sithsd found at start: … (5 lines expected, 3 present)", true});
    const auto r = check_audit(swedish(), survey);
    EXPECT_EQ(r.outcome, Outcome::failed);
    EXPECT_FALSE(r.blocks_login);
    EXPECT_FALSE(login_blocked({r}));
    EXPECT_EQ(r.text.rfind("Granskningsloggen är inte hel", 0), 0u) << r.text;
    EXPECT_NE(r.details.back().find("rad 4: sithsd found at start"), std::string::npos);
    EXPECT_NE(r.advice.find("sithsctl audit verify"), std::string::npos);
    EXPECT_TRUE(r.data.at("tamperLine").as_bool());
    survey.exists = false;
    survey.problems.clear();
    EXPECT_EQ(check_audit(swedish(), survey).outcome, Outcome::ok);
}

// survey_nss reads what is registered as `sithsctl browsers` does: from the database's pkcs11.txt.
TEST(DoctorChecks, ModuleListFindsTheModule) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("sithsd-doctor-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "pkcs11.txt")
        << "library=\nname=NSS Internal PKCS #11 Module\n\n"
           "library=/usr/lib/sithsd/libsithsd-pkcs11.so\nname=sithsd\nNSS=trustOrder=100\n";
    const auto library = registered_library(dir);
    ASSERT_TRUE(library);
    EXPECT_EQ(*library, "/usr/lib/sithsd/libsithsd-pkcs11.so");
    std::ofstream(dir / "pkcs11.txt") << "library=\nname=NSS Internal PKCS #11 Module\n";
    EXPECT_FALSE(registered_library(dir));
    std::filesystem::remove_all(dir);
}

TEST(DoctorChecks, LoginBlockedWhenNeitherBrowserWayIsSetUp) {
    CheckResult nss, host;
    nss.id = "nss";
    nss.outcome = Outcome::failed;
    host.id = "nativeHost";
    EXPECT_FALSE(login_blocked({nss, host}));
    host.outcome = Outcome::failed;
    EXPECT_TRUE(login_blocked({nss, host}));
    EXPECT_NE(render_text(Say{true}, {nss, host}).find("Something above blocks login"),
              std::string::npos);
}

TEST(DoctorChecks, EnglishWhenAsked) {
    pkcs11::ReaderSurvey survey;
    EXPECT_EQ(check_pcscd(Situation{Say{true}, false, kNow}, survey)
                  .text.rfind("pcscd does not answer", 0),
              0u);
}

TEST(RunTool, OutputExitCodeAndDeadline) {
    auto out = run_tool({"sh", "-c", "echo hej; exit 3"}, 5s);
    EXPECT_EQ(out.output, "hej\n");
    EXPECT_EQ(out.exit_code, 3);
    const auto start = std::chrono::steady_clock::now();
    out = run_tool({"sleep", "30"}, 200ms);
    EXPECT_EQ(out.exit_code, -1);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
    EXPECT_THROW(run_tool({"/nonexistent/program"}, 1s), std::runtime_error);
}

}  // namespace
}  // namespace sithsd::daemon::doctor
