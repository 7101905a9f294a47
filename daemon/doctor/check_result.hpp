#pragma once
// `sithsctl doctor`: what one check found, and what every check is given. Checks are plain
// functions from what was observed to a CheckResult, so that tests can feed them any situation.
#include <boost/json/object.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace sithsd::daemon::doctor {

enum class Outcome {
    ok,       // ✓
    warning,  // ! works today, needs attention (a certificate near its end, few PIN tries left)
    failed,   // ✗
    skipped,  // – could not be checked because an earlier check failed
};

struct CheckResult {
    std::string id;  // stable, for --json and tests: "pcscd", "readers", "module", …
    Outcome outcome = Outcome::ok;
    bool blocks_login = false;         // this failure alone keeps the person from logging in
    std::string text;                  // one line, in the chosen language
    std::string advice;                // what to do; empty when nothing
    std::vector<std::string> details;  // further lines (modules tried, certificates)
    boost::json::object data;          // the facts behind the line, for --json
};

// Swedish first, English with language = "en".
struct Say {
    bool english = false;
    std::string operator()(std::string_view sv, std::string_view en) const {
        return std::string(english ? en : sv);
    }
};

// What every check may use. `report`: the text is for sending to someone else: no personnummer.
struct Situation {
    Say say;
    bool report = false;
    std::chrono::system_clock::time_point now;
};

}  // namespace sithsd::daemon::doctor
