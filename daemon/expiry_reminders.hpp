#pragma once
// Desktop reminders 90, 30 and 7 days before a certificate on an inserted card ends (a new card
// takes 3–5 weeks), once per threshold per certificate, remembered in state_dir across restarts.
// Beside the certificateExpiring notifications to clients (expiry_notes.hpp), which repeat.
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "daemon/cards.hpp"
#include "daemon/periodic_timer.hpp"
#include "pkcs11/card_model.hpp"

namespace sithsd::daemon {

struct Reminder {
    std::string key;    // "<certificateId>@<threshold>": what is remembered once sent
    int threshold = 0;  // 90, 30 or 7
    long days_left = 0;
    std::string display_name;
    bool signature = false;  // a signature certificate (else identification)
    std::chrono::system_clock::time_point not_after;
};

// The reminder each certificate is due for now: the smallest threshold at or above its days left
// (one reminder, not three, for a card first seen 5 days before its end), unless already sent.
std::vector<Reminder> due_reminders(const std::vector<pkcs11::CardInfo>& cards,
                                    std::chrono::system_clock::time_point now,
                                    const std::set<std::string>& sent);

// The notification's summary and body, in "sv" or "en".
std::pair<std::string, std::string> reminder_text(const Reminder& reminder,
                                                  const std::string& language);

// The reminders sent, in a JSON file (an array of keys, the newest last, at most kMaxKept).
class ReminderLog {
  public:
    static constexpr std::size_t kMaxKept = 1000;
    explicit ReminderLog(std::filesystem::path file);
    const std::set<std::string>& sent() const { return sent_; }
    // Adds the key and writes the file (atomically). Throws std::runtime_error when it cannot.
    void remember(const std::string& key);

  private:
    std::filesystem::path file_;
    std::vector<std::string> order_;
    std::set<std::string> sent_;
};

// Checks the inserted cards when they change and once an hour; sends what is due through
// `notify` (notify_desktop in the daemon) and remembers what was delivered.
class DesktopReminders {
  public:
    using Notify = std::function<bool(const std::string& summary, const std::string& body,
                                      std::string& error)>;
    DesktopReminders(Cards& cards, std::filesystem::path state_file, std::string language,
                     Notify notify);
    void check(const std::vector<pkcs11::CardInfo>& cards);

  private:
    Cards& cards_;
    std::string language_;
    Notify notify_;
    std::mutex mutex_;  // the card watcher's thread and the timer's
    ReminderLog log_;
    bool warned_ = false;   // "cannot notify" is logged once, not every hour
    PeriodicTimer hourly_;  // last: its thread calls check() on the members above
};

}  // namespace sithsd::daemon
