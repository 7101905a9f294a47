#pragma once
// Judging an audit log from outside the daemon (`sithsctl audit verify|head`, `sithsctl doctor`):
// the chain of `prev` hashes, FILE.head against the last line, the `tamper` lines the daemon wrote
// when it found the two apart at start, and anchors a region's log collector kept.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "daemon/audit_file.hpp"

namespace sithsd::daemon {

struct AuditProblem {
    std::size_t line;     // 1-based; 0: the file as a whole
    std::string problem;  // "chain broken: …", "not an audit line …", …
    bool tamper = false;  // a `tamper` line: the daemon found the log apart from its head
};

// An anchor kept outside the machine: line `lines` of the log had this SHA-256. Rolling back log
// and head together to an earlier copy leaves both consistent; only an anchor taken after that
// copy finds it.
struct AuditAnchor {
    std::uint64_t lines = 0;
    std::string sha256;
};
// "LINES:SHA256" (as `sithsctl audit head` prints them); nullopt when it is not that.
std::optional<AuditAnchor> parse_audit_anchor(const std::string& text);

// Every problem of the log, in line order, then the head's: empty when every line links to the
// one before, FILE.head names the last line (a missing or empty head counts only for an empty
// log), the daemon never wrote a tamper line, and every anchor holds.
std::vector<AuditProblem> verify_audit_file(const std::filesystem::path& file,
                                            const std::vector<AuditAnchor>& anchors = {});

// The log's current end, for `sithsctl audit head`: what a collector records as an anchor.
struct AuditEnd {
    std::uint64_t lines = 0;
    std::string sha256;                         // of the last line; empty without lines
    std::string time;                           // the last line's `time`
    std::optional<AuditHeadMismatch> mismatch;  // FILE.head disagrees: no anchor to keep
};
// Throws std::runtime_error when the log cannot be read.
AuditEnd read_audit_end(const std::filesystem::path& file);

}  // namespace sithsd::daemon
