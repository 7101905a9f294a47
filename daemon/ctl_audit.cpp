#include "daemon/ctl_audit.hpp"

#include <boost/json.hpp>
#include <iostream>

#include "daemon/audit_verify.hpp"

namespace sithsd::daemon {

std::string check_audit_anchor(const std::string& text) {
    return parse_audit_anchor(text) ? ""
                                    : "not an anchor LINES:SHA256 (as `sithsctl audit head` "
                                      "prints it): " +
                                          text;
}

int run_audit_verify(const std::filesystem::path& file, const std::vector<std::string>& anchors) {
    std::vector<AuditAnchor> parsed;
    for (const auto& text : anchors)
        if (const auto anchor = parse_audit_anchor(text)) parsed.push_back(*anchor);
    const auto problems = verify_audit_file(file, parsed);
    if (problems.empty()) return std::cout << "audit log intact: " << file.string() << '\n', 0;
    for (const auto& p : problems)
        std::cout << file.string() << ":" << p.line << ": " << p.problem << '\n';
    return 1;
}

int run_audit_head(const std::filesystem::path& file, bool json, const std::string& language) {
    const AuditEnd end = read_audit_end(file);
    const bool sv = language != "en";
    const std::string anchor = std::to_string(end.lines) + ":" + end.sha256;
    if (json) {
        boost::json::object out{{"file", file.string()}, {"lines", end.lines}};
        out["sha256"] = end.lines ? boost::json::value(end.sha256) : nullptr;
        out["time"] = end.lines ? boost::json::value(end.time) : nullptr;
        out["anchor"] = end.lines && !end.mismatch ? boost::json::value(anchor) : nullptr;
        if (end.mismatch) out["headMismatch"] = end.mismatch->found;
        std::cout << boost::json::serialize(out) << '\n';
    } else if (end.lines == 0) {
        std::cout << (sv ? "granskningsloggen " : "the audit log ") << file.string()
                  << (sv ? " har inga rader än\n" : " has no lines yet\n");
    } else {
        std::cout << (sv ? "granskningsloggen " : "audit log ") << file.string() << ": "
                  << end.lines << (sv ? " rader; sista raden (" : " lines; the last line (")
                  << end.time << (sv ? ") har SHA-256 " : ") has SHA-256 ") << end.sha256 << '\n';
        if (!end.mismatch) std::cout << (sv ? "ankare: " : "anchor: ") << anchor << '\n';
    }
    if (!end.mismatch) return 0;
    std::cerr << "sithsctl: "
              << (sv ? "granskningsloggen och dess huvud stämmer inte överens"
                     : "the audit log and its head disagree")
              << ": " << end.mismatch->found << " (sithsctl audit verify)\n";
    return 1;
}

}  // namespace sithsd::daemon
