#pragma once
// `sithsctl audit verify [--anchor LINES:SHA256]… [FILE]` and `sithsctl audit head [--json]
// [FILE]`: the audit log judged from outside the daemon (audit_verify.hpp). `audit show` is a table
// (audit_table.hpp).
#include <filesystem>
#include <string>
#include <vector>

namespace sithsd::daemon {

// Prints "audit log intact: FILE", or each problem as FILE:LINE: PROBLEM; 0 or 1.
int run_audit_verify(const std::filesystem::path& file, const std::vector<std::string>& anchors);

// Prints the log's end (lines, the last line's SHA-256 and time, the anchor to keep) in the
// language given ("sv" or "en"), or as JSON; 1 when FILE.head disagrees with the log (no anchor
// should be kept of such a log; `audit verify` says more).
int run_audit_head(const std::filesystem::path& file, bool json, const std::string& language);

// "" when text is an anchor (LINES:SHA256), else what is wrong, for the option's check.
std::string check_audit_anchor(const std::string& text);

}  // namespace sithsd::daemon
