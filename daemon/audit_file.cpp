#include "daemon/audit_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/digest.hpp"

namespace sithsd::daemon {
namespace {

bool is_hex(std::string_view text) {
    return text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool is_digits(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string count_text(std::uint64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::filesystem::path audit_head_file(const std::filesystem::path& log) {
    return log.string() + ".head";
}

std::string format_audit_head(const std::string& sha256, std::uint64_t lines) {
    char count[21];
    std::snprintf(count, sizeof count, "%020llu", static_cast<unsigned long long>(lines));
    return sha256 + " " + count + "\n";  // always kAuditHeadRecord bytes
}

AuditHead parse_audit_head(const std::optional<std::string>& content) {
    AuditHead head;
    if (!content) return head;
    if (content->empty()) {
        head.state = AuditHead::State::empty;
        return head;
    }
    head.state = AuditHead::State::malformed;
    const std::string_view text(*content);
    if (text.size() != kAuditHeadRecord && text.size() != kLegacyAuditHeadRecord) return head;
    if (text.back() != '\n' || !is_hex(text.substr(0, 64))) return head;
    if (text.size() == kAuditHeadRecord) {
        const std::string_view count = text.substr(65, 20);
        if (text[64] != ' ' || !is_digits(count)) return head;
        head.lines = std::stoull(std::string(count));
    }
    head.sha256 = std::string(text.substr(0, 64));
    head.state = AuditHead::State::present;
    return head;
}

AuditHead read_audit_head(const std::filesystem::path& log) {
    const auto path = audit_head_file(log);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) && !ec) return parse_audit_head(std::nullopt);
    std::ifstream in(path, std::ios::binary);
    if (!in) return {AuditHead::State::malformed, {}, {}};
    std::ostringstream text;
    text << in.rdbuf();
    return parse_audit_head(text.str());
}

off_t for_each_audit_line(int fd,
                          const std::function<void(std::string_view, std::uint64_t)>& visit) {
    std::array<char, std::size_t{64} * 1024> buffer{};
    std::string line;
    std::uint64_t number = 0;
    off_t offset = 0, whole = 0;
    for (;;) {
        const ssize_t n = ::pread(fd, buffer.data(), buffer.size(), offset);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error(std::string("cannot read: ") + std::strerror(errno));
        if (n == 0) return whole;
        for (ssize_t i = 0; i < n; ++i) {
            if (buffer[static_cast<std::size_t>(i)] != '\n') {
                line += buffer[static_cast<std::size_t>(i)];
                continue;
            }
            whole = offset + i + 1;
            visit(line, ++number);
            line.clear();
        }
        offset += n;
    }
}

AuditLogSummary summarize_audit_log(int fd, const AuditHead& head, const AuditLineVisitor& also) {
    AuditLogSummary summary;
    summary.whole_length = for_each_audit_line(fd, [&](std::string_view line, std::uint64_t n) {
        summary.lines = n;
        summary.last_sha256 = sha256_hex(line);
        if (head.state == AuditHead::State::present && summary.last_sha256 == head.sha256)
            summary.head_line = n;
        if (also) also(line, n, summary.last_sha256);
    });
    struct stat st {};
    summary.file_length = ::fstat(fd, &st) == 0 ? st.st_size : summary.whole_length;
    return summary;
}

std::optional<AuditHeadMismatch> compare_audit_head(const AuditHead& head,
                                                    const AuditLogSummary& log,
                                                    const std::string& head_name) {
    using State = AuditHead::State;
    AuditHeadMismatch m{"", head.lines, log.lines};
    const std::string of_log = " for a log of " + count_text(log.lines, "line", "lines");
    switch (head.state) {
        case State::missing:
        case State::empty:
            if (log.lines == 0) return std::nullopt;  // a new log: nothing written yet
            m.found = "the head file (" + head_name + ") is " +
                      (head.state == State::missing ? "missing" : "empty") + of_log;
            return m;
        case State::malformed:
            m.found = "the head file (" + head_name + ") holds no head record" + of_log;
            return m;
        case State::present:
            break;
    }
    if (log.lines == 0) {
        m.found = "the head names a line, the log has none: it was emptied or replaced";
    } else if (!log.head_line) {
        m.found =
            "the head names a line that is not in the log: lines were removed, or the last "
            "one altered";
    } else if (*log.head_line < log.lines) {
        const std::uint64_t k = *log.head_line;
        m.lines_expected = k;  // the line it names counts, whatever its count says
        m.found = "the head names line " + std::to_string(k) + " of " + std::to_string(log.lines) +
                  ": the lines after it were added without it (a crash between a line and its "
                  "head, or lines added by hand)";
    } else if (head.lines && *head.lines != log.lines) {
        m.found = "the head names the last line but counted " +
                  count_text(*head.lines, "line", "lines") +
                  ": lines before it were removed or "
                  "added";
    } else {
        return std::nullopt;
    }
    return m;
}

}  // namespace sithsd::daemon
