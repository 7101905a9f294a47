// Which desktop reminder is due: one per threshold per certificate, the nearest threshold only.
#include "daemon/expiry_reminders.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace sithsd::daemon {
namespace {

using namespace std::chrono_literals;
const auto kNow = std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000));

std::vector<pkcs11::CardInfo> card_ending_in(long days) {
    pkcs11::CardInfo card;
    pkcs11::CardCertificate cert;
    cert.info.certificate_id = "cert-1";
    cert.info.purpose = Purpose::identification;
    cert.info.common_name = "Sara Snart";
    cert.info.not_after = kNow + 24h * days + 1h;
    card.certificates.push_back(cert);
    pkcs11::CardCertificate ca = cert;  // a CA certificate on the card: never reminded of
    ca.info.purpose.reset();
    ca.info.certificate_id = "ca";
    card.certificates.push_back(ca);
    return {card};
}

std::vector<std::string> keys(long days, const std::set<std::string>& sent = {}) {
    std::vector<std::string> out;
    for (const auto& r : due_reminders(card_ending_in(days), kNow, sent)) out.push_back(r.key);
    return out;
}

TEST(ExpiryReminders, TheNearestThresholdOnly) {
    EXPECT_TRUE(keys(91).empty());
    EXPECT_EQ(keys(90), std::vector<std::string>{"cert-1@90"});
    EXPECT_EQ(keys(31), std::vector<std::string>{"cert-1@90"});
    EXPECT_EQ(keys(30), std::vector<std::string>{"cert-1@30"});
    EXPECT_EQ(keys(5), std::vector<std::string>{"cert-1@7"});
    EXPECT_EQ(keys(0), std::vector<std::string>{"cert-1@7"});
    EXPECT_TRUE(keys(-1).empty());  // ended: the doctor and the prompts say so, not a reminder
}

TEST(ExpiryReminders, OncePerThreshold) {
    EXPECT_TRUE(keys(20, {"cert-1@30"}).empty());
    EXPECT_EQ(keys(6, {"cert-1@30", "cert-1@90"}), std::vector<std::string>{"cert-1@7"});
}

TEST(ExpiryReminders, TextInSwedishAndEnglish) {
    const auto due = due_reminders(card_ending_in(20), kNow, {});
    ASSERT_EQ(due.size(), 1u);
    const auto [summary, body] = reminder_text(due[0], "sv");
    EXPECT_EQ(summary, "Ditt SITHS-certifikat går ut om 20 dagar");
    EXPECT_NE(body.find("Legitimeringscertifikatet för Sara Snart"), std::string::npos);
    EXPECT_EQ(reminder_text(due[0], "en").first, "Your SITHS certificate expires in 20 days");
}

TEST(ExpiryReminders, LogRemembersAcrossInstances) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("sithsd-reminders-" + std::to_string(getpid()));
    const auto file = dir / "state" / "reminders.json";
    {
        ReminderLog log(file);
        EXPECT_TRUE(log.sent().empty());
        log.remember("cert-1@30");
        log.remember("cert-1@30");
    }
    ReminderLog again(file);
    EXPECT_EQ(again.sent(), std::set<std::string>{"cert-1@30"});
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sithsd::daemon
