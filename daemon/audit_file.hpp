#pragma once
// The audit log's two files as they lie on disk, for the daemon at start and for sithsctl alike:
// the log's whole lines, FILE.head (the record naming the last line and how many lines there
// were), and whether the two agree. No writing here (audit_log.*), no judging of lines
// (audit_verify.*).
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sithsd::daemon {

// The `prev` of the first line: no line before it.
inline const std::string kAuditGenesis(64, '0');

// FILE.head beside the log FILE.
std::filesystem::path audit_head_file(const std::filesystem::path& log);

// One record, rewritten in place after every line: the SHA-256 (hex) of the last line, a space,
// the number of lines (20 digits, zero-padded so that every record has the same length), "\n".
// Records written before the line count existed are 65 bytes: the hash and "\n".
constexpr std::size_t kAuditHeadRecord = 86;
constexpr std::size_t kLegacyAuditHeadRecord = 65;
std::string format_audit_head(const std::string& sha256, std::uint64_t lines);

struct AuditHead {
    enum class State { missing, empty, malformed, present };
    State state = State::missing;
    std::string sha256;                  // present: the last line's SHA-256 (hex)
    std::optional<std::uint64_t> lines;  // present: the line count (absent in a 65-byte record)
};

// content: what FILE.head holds, nullopt when there is no such file.
AuditHead parse_audit_head(const std::optional<std::string>& content);
// Reads FILE.head (a malformed head when it cannot be read).
AuditHead read_audit_head(const std::filesystem::path& log);

// Calls visit(line, number) for each whole line of the open log (a line ends in "\n"; the
// number counts from 1), reading with pread from offset 0 so that the descriptor's lock and
// position are left alone. Returns the length of the whole lines; what lies beyond it is a line
// cut short. Throws std::runtime_error when the file cannot be read.
off_t for_each_audit_line(int fd,
                          const std::function<void(std::string_view, std::uint64_t)>& visit);

// The log as read, with what the head names found in it.
struct AuditLogSummary {
    std::uint64_t lines = 0;
    std::string last_sha256;                 // of the last whole line; empty without lines
    std::optional<std::uint64_t> head_line;  // the last line whose SHA-256 is the head's
    off_t whole_length = 0;                  // the bytes of the whole lines
    off_t file_length = 0;                   // with a line cut short after them, if any
};

// Hashes every whole line of the open log, noting the line the head names; each line is also
// given to `also` (with its number and SHA-256) when there is one.
using AuditLineVisitor =
    std::function<void(std::string_view line, std::uint64_t number, const std::string& sha256)>;
AuditLogSummary summarize_audit_log(int fd, const AuditHead& head,
                                    const AuditLineVisitor& also = {});

// Where FILE.head and the log disagree: what was found, in words for the log and for people.
struct AuditHeadMismatch {
    std::string found;
    std::optional<std::uint64_t> lines_expected;  // the line the head names, else its count
    std::uint64_t lines_present = 0;
};

// nullopt when the head names the log's last line (and, where it counts lines, the same number),
// or when there is neither a line nor a head; a mismatch otherwise. head_name: the head file's
// name, for the words.
std::optional<AuditHeadMismatch> compare_audit_head(const AuditHead& head,
                                                    const AuditLogSummary& log,
                                                    const std::string& head_name);

}  // namespace sithsd::daemon
