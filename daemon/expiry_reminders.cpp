#include "daemon/expiry_reminders.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "daemon/atomic_file.hpp"
#include "daemon/card_json.hpp"

namespace sithsd::daemon {
namespace {

int threshold_for(long days_left) {
    if (days_left < 0 || days_left > 90) return 0;
    return days_left <= 7 ? 7 : days_left <= 30 ? 30 : 90;
}

// "2029-05-31" (UTC), the date of rfc3339().
std::string date(std::chrono::system_clock::time_point t) {
    return rfc3339(t).substr(0, 10);
}

}  // namespace

std::vector<Reminder> due_reminders(const std::vector<pkcs11::CardInfo>& cards,
                                    std::chrono::system_clock::time_point now,
                                    const std::set<std::string>& sent) {
    std::vector<Reminder> due;
    for (const auto& card : cards) {
        for (const auto& cert : card.certificates) {
            if (!cert.info.purpose) continue;  // CA and encryption certificates: nobody uses them
            const long days = cert.info.days_left(now);
            const int threshold = threshold_for(days);
            if (threshold == 0) continue;
            const std::string key = cert.info.certificate_id + "@" + std::to_string(threshold);
            if (sent.count(key)) continue;
            due.push_back({key, threshold, days, cert.info.display_name(),
                           cert.info.purpose == Purpose::signing, cert.info.not_after});
        }
    }
    return due;
}

std::pair<std::string, std::string> reminder_text(const Reminder& r, const std::string& language) {
    const std::string days = std::to_string(r.days_left);
    if (language == "en")
        return {"Your SITHS certificate expires in " + days + " days",
                "The " + std::string(r.signature ? "signature" : "identification") +
                    " certificate of " + r.display_name + " ends on " + date(r.not_after) +
                    ". Order a new card now: it takes 3–5 weeks."};
    return {"Ditt SITHS-certifikat går ut om " + days + " dagar",
            std::string(r.signature ? "Underskriftscertifikatet" : "Legitimeringscertifikatet") +
                " för " + r.display_name + " slutar gälla " + date(r.not_after) +
                ". Beställ ett nytt kort nu: det tar 3–5 veckor."};
}

ReminderLog::ReminderLog(std::filesystem::path file) : file_(std::move(file)) {
    std::ifstream in(file_);
    if (!in) return;  // nothing sent yet
    std::ostringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    const auto value = boost::json::parse(text.str(), ec);
    if (ec || !value.is_array()) {
        spdlog::warn("{}: not a JSON array; starting the reminders afresh", file_.string());
        return;
    }
    for (const auto& key : value.as_array())
        if (key.is_string() && sent_.insert(key.as_string().c_str()).second)
            order_.emplace_back(key.as_string().c_str());
}

void ReminderLog::remember(const std::string& key) {
    if (!sent_.insert(key).second) return;
    order_.push_back(key);
    while (order_.size() > kMaxKept) {
        sent_.erase(order_.front());
        order_.erase(order_.begin());
    }
    boost::json::array keys;
    for (const auto& k : order_) keys.emplace_back(k);
    std::filesystem::create_directories(file_.parent_path());
    write_file_atomically(file_, boost::json::serialize(keys) + "\n", 0600);
}

DesktopReminders::DesktopReminders(Cards& cards, std::filesystem::path state_file,
                                   std::string language, Notify notify)
    : cards_(cards),
      language_(std::move(language)),
      notify_(std::move(notify)),
      log_(std::move(state_file)),
      hourly_(std::chrono::hours(1), [this] { check(cards_.cards()); }) {}

void DesktopReminders::check(const std::vector<pkcs11::CardInfo>& cards) {
    std::lock_guard lock(mutex_);
    for (const auto& reminder :
         due_reminders(cards, std::chrono::system_clock::now(), log_.sent())) {
        const auto [summary, body] = reminder_text(reminder, language_);
        std::string error;
        if (!notify_(summary, body, error)) {
            // Not remembered: it is tried again at the next change or hour.
            if (!warned_) spdlog::warn("cannot show a desktop reminder: {}", error);
            warned_ = true;
            return;
        }
        warned_ = false;
        spdlog::info("desktop reminder: a certificate ends in {} days", reminder.days_left);
        try {
            log_.remember(reminder.key);
        } catch (const std::exception& e) {
            spdlog::warn("cannot remember a desktop reminder: {}", e.what());
        }
    }
}

}  // namespace sithsd::daemon
