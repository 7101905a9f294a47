#pragma once
// How `sithsctl doctor` says what it found: lines with ✓/✗, a report to send, or JSON.
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "daemon/doctor/check_result.hpp"

namespace sithsd::daemon::doctor {

// Whether something keeps the person from logging in: a blocking check failed, or neither way a
// browser reaches sithsd (the NSS module, the extension's host) is set up.
bool login_blocked(const std::vector<CheckResult>& results);

std::string render_text(const Say& say, const std::vector<CheckResult>& results);
// render_text with a heading of versions and system, for sending to support. The results must
// have been made with Situation::report (no personnummer).
std::string render_report(const Say& say, const std::vector<CheckResult>& results);
boost::json::object render_json(const std::vector<CheckResult>& results);

}  // namespace sithsd::daemon::doctor
