#include "daemon/doctor/doctor_output.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <fstream>

#include "daemon/card_json.hpp"  // rfc3339

namespace sithsd::daemon::doctor {
namespace {

const char* symbol(Outcome outcome) {
    switch (outcome) {
        case Outcome::ok:
            return "✓";
        case Outcome::warning:
            return "!";
        case Outcome::failed:
            return "✗";
        case Outcome::skipped:
            return "–";
    }
    return "?";
}

const char* outcome_name(Outcome outcome) {
    switch (outcome) {
        case Outcome::ok:
            return "ok";
        case Outcome::warning:
            return "warning";
        case Outcome::failed:
            return "failed";
        case Outcome::skipped:
            return "skipped";
    }
    return "?";
}

bool failed(const std::vector<CheckResult>& results, const std::string& id) {
    return std::any_of(results.begin(), results.end(), [&](const CheckResult& r) {
        return r.id == id && r.outcome == Outcome::failed;
    });
}

std::string os_name() {
    std::ifstream in("/etc/os-release");
    std::string line;
    while (std::getline(in, line))
        if (line.starts_with("PRETTY_NAME=")) {
            std::string name = line.substr(12);
            name.erase(std::remove(name.begin(), name.end(), '"'), name.end());
            return name;
        }
    return "?";
}

}  // namespace

bool login_blocked(const std::vector<CheckResult>& results) {
    const bool any = std::any_of(results.begin(), results.end(), [](const CheckResult& r) {
        return r.outcome == Outcome::failed && r.blocks_login;
    });
    return any || (failed(results, "nss") && failed(results, "nativeHost"));
}

std::string render_text(const Say& say, const std::vector<CheckResult>& results) {
    std::string out;
    for (const auto& r : results) {
        out += std::string(symbol(r.outcome)) + " " + r.text + "\n";
        for (const auto& detail : r.details) out += "    " + detail + "\n";
        if (!r.advice.empty()) out += "    → " + r.advice + "\n";
    }
    out += login_blocked(results)
               ? say("✗ Något ovan hindrar inloggning: gör det som står efter →.\n",
                     "✗ Something above blocks login: do what follows the →.\n")
               : say("✓ Inget hindrar inloggning.\n", "✓ Nothing blocks login.\n");
    return out;
}

std::string render_report(const Say& say, const std::vector<CheckResult>& results) {
    utsname u{};
    uname(&u);
    const std::string when = rfc3339(std::chrono::system_clock::now());
    std::string out = say("sithsctl doctor --report (utan PIN och utan personnummer)\n",
                          "sithsctl doctor --report (no PIN and no personal number)\n");
    out += std::string("sithsctl ") + SITHSD_VERSION + ", " + os_name() + ", " + u.sysname + " " +
           u.release + " " + u.machine + ", " + when + "\n\n";
    return out + render_text(say, results);
}

boost::json::object render_json(const std::vector<CheckResult>& results) {
    boost::json::array checks;
    for (const auto& r : results) {
        boost::json::array details;
        for (const auto& d : r.details) details.emplace_back(d);
        checks.push_back({{"id", r.id},
                          {"outcome", outcome_name(r.outcome)},
                          {"blocksLogin", r.blocks_login},
                          {"text", r.text},
                          {"advice", r.advice},
                          {"details", details},
                          {"data", r.data}});
    }
    return {{"loginBlocked", login_blocked(results)}, {"checks", checks}};
}

}  // namespace sithsd::daemon::doctor
