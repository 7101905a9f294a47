#pragma once
// `sithsctl audit show`: the audit log (audit_log.hpp) as rows a person reads: local time, method,
// who asked, the certificate, the result; filtered by time and by who asked.
#include <chrono>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace sithsd::daemon {

struct AuditFilter {
    std::optional<std::chrono::system_clock::time_point> since;
    std::string origin;  // rows whose requester contains this; empty: all
};

// "2026-12-01", "2026-12-01T08:00", "2026-12-01 08:00:30" in local time; nullopt when unreadable.
std::optional<std::chrono::system_clock::time_point> parse_local_time(const std::string& text);

// The header row, then one row per line that passes the filter (a line that is not JSON is shown
// as such, never skipped silently).
std::vector<std::vector<std::string>> audit_rows(std::istream& log, const AuditFilter& filter);

}  // namespace sithsd::daemon
