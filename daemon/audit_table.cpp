#include "daemon/audit_table.hpp"

#include <boost/json.hpp>
#include <ctime>
#include <iomanip>
#include <sstream>

namespace sithsd::daemon {

namespace {

// The audit log's RFC 3339 UTC time ("2026-12-02T17:32:47Z", fractions ignored).
std::optional<std::chrono::system_clock::time_point> parse_utc(const std::string& text) {
    std::tm tm{};
    std::istringstream in(text);
    in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
    if (in.fail()) return std::nullopt;
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string local_text(std::chrono::system_clock::time_point at) {
    const std::time_t t = std::chrono::system_clock::to_time_t(at);
    std::tm tm{};
    localtime_r(&t, &tm);
    char out[32];
    std::strftime(out, sizeof out, "%Y-%m-%d %H:%M:%S", &tm);
    return out;
}

std::string field(const boost::json::object& o, const char* name) {
    const auto* v = o.if_contains(name);
    return v && v->is_string() ? std::string(v->as_string()) : "";
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_local_time(const std::string& text) {
    for (const char* format : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
                               "%Y-%m-%d %H:%M", "%Y-%m-%d"}) {
        std::tm tm{};
        std::istringstream in(text);
        in >> std::get_time(&tm, format);
        if (in.fail() || in.peek() != std::char_traits<char>::eof()) continue;
        if (tm.tm_year + 1900 > 2200) return std::nullopt;  // past what system_clock holds
        tm.tm_isdst = -1;                                   // the local rules of that day
        const std::time_t t = std::mktime(&tm);
        if (t == -1) return std::nullopt;
        return std::chrono::system_clock::from_time_t(t);
    }
    return std::nullopt;
}

std::vector<std::vector<std::string>> audit_rows(std::istream& log, const AuditFilter& filter) {
    std::vector<std::vector<std::string>> rows{
        {"TIME", "METHOD", "REQUESTED BY", "CERTIFICATE", "RESULT"}};
    std::string line;
    for (std::size_t number = 1; std::getline(log, line); ++number) {
        if (line.empty()) continue;
        boost::system::error_code ec;
        const auto value = boost::json::parse(line, ec);
        if (ec || !value.is_object()) {
            rows.push_back({"-", "-", "-", "-", "line " + std::to_string(number) + ": not JSON"});
            continue;
        }
        const auto& o = value.as_object();
        const auto at = parse_utc(field(o, "time"));
        if (filter.since && (!at || *at < *filter.since)) continue;
        const std::string who = field(o, "origin");
        if (!filter.origin.empty() && who.find(filter.origin) == std::string::npos) continue;
        std::string certificate = field(o, "hsaId");
        if (certificate.empty() && !field(o, "certificateSerial").empty())
            certificate = "serial " + field(o, "certificateSerial");
        rows.push_back({at ? local_text(*at) : field(o, "time"), field(o, "method"), who,
                        certificate.empty() ? "-" : certificate, field(o, "result")});
    }
    return rows;
}

}  // namespace sithsd::daemon
