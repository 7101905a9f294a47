#include "daemon/audit_verify.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <map>
#include <stdexcept>

#include "common/digest.hpp"

namespace sithsd::daemon {
namespace {

// Opened read-only and closed again: only ever used outside the daemon (audit_lock.hpp).
class ReadOnlyFile {
  public:
    explicit ReadOnlyFile(const std::filesystem::path& path)
        : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
    ~ReadOnlyFile() {
        if (fd_ >= 0) ::close(fd_);
    }
    ReadOnlyFile(const ReadOnlyFile&) = delete;
    ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
    int fd() const { return fd_; }

  private:
    int fd_;
};

std::string field(const boost::json::object& o, const char* name) {
    const auto* v = o.if_contains(name);
    return v && v->is_string() ? std::string(v->as_string()) : "";
}

std::string count_field(const boost::json::object& o, const char* name) {
    const auto* v = o.if_contains(name);
    return v && (v->is_uint64() || v->is_int64()) ? boost::json::serialize(*v) : "unknown";
}

// A tamper line: what the daemon found when it started.
std::string tamper_problem(const boost::json::object& o) {
    return "sithsd found at start: " + field(o, "found") + " (" + count_field(o, "linesExpected") +
           " lines expected, " + count_field(o, "linesPresent") + " present)";
}

}  // namespace

std::optional<AuditAnchor> parse_audit_anchor(const std::string& text) {
    const auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0 || text.size() - colon - 1 != 64) return {};
    const std::string lines = text.substr(0, colon), sha = text.substr(colon + 1);
    if (lines.find_first_not_of("0123456789") != std::string::npos || lines.size() > 19 ||
        sha.find_first_not_of("0123456789abcdef") != std::string::npos)
        return {};
    AuditAnchor anchor{std::stoull(lines), sha};
    if (anchor.lines == 0) return {};
    return anchor;
}

std::vector<AuditProblem> verify_audit_file(const std::filesystem::path& file,
                                            const std::vector<AuditAnchor>& anchors) {
    const ReadOnlyFile log(file);
    if (log.fd() < 0) return {{0, "cannot read " + file.string()}};
    const AuditHead head = read_audit_head(file);
    std::multimap<std::uint64_t, const AuditAnchor*> anchored;
    for (const auto& a : anchors) anchored.emplace(a.lines, &a);

    std::vector<AuditProblem> problems;
    AuditLogSummary summary;
    std::string prev = kAuditGenesis;
    try {
        summary = summarize_audit_log(
            log.fd(), head, [&](std::string_view line, std::uint64_t n, const std::string& sha256) {
                boost::system::error_code ec;
                auto value = boost::json::parse(line, ec);
                const auto* o = !ec && value.is_object() ? &value.as_object() : nullptr;
                const boost::json::value* link = o ? o->if_contains("prev") : nullptr;
                if (!link || !link->is_string())
                    problems.push_back({n, "not an audit line (no JSON object with prev)"});
                else if (link->as_string() != prev)
                    problems.push_back(
                        {n, "chain broken: the line before it was altered or removed"});
                if (o && field(*o, "method") == "tamper")
                    problems.push_back({n, tamper_problem(*o), true});
                for (auto [at, end] = anchored.equal_range(n); at != end; ++at)
                    if (at->second->sha256 != sha256)
                        problems.push_back({n, "anchor " + std::to_string(n) + ":" +
                                                   at->second->sha256 +
                                                   " does not hold: the log was rolled back or "
                                                   "rewritten since it was taken"});
                prev = sha256;
            });
    } catch (const std::exception& e) {
        return {{0, std::string(e.what()) + " (" + file.string() + ")"}};
    }
    if (summary.file_length > summary.whole_length)
        problems.push_back({static_cast<std::size_t>(summary.lines + 1),
                            "an unfinished last line (a crash while it was written; sithsd "
                            "removes it when it next starts)"});
    for (auto at = anchored.upper_bound(summary.lines); at != anchored.end(); ++at)
        problems.push_back({static_cast<std::size_t>(summary.lines),
                            "anchor " + std::to_string(at->first) + ":" + at->second->sha256 +
                                " does not hold: the log has only " +
                                std::to_string(summary.lines) + " lines"});
    if (const auto mismatch =
            compare_audit_head(head, summary, audit_head_file(file).filename().string()))
        problems.push_back({static_cast<std::size_t>(summary.lines), mismatch->found});
    return problems;
}

AuditEnd read_audit_end(const std::filesystem::path& file) {
    const ReadOnlyFile log(file);
    if (log.fd() < 0) throw std::runtime_error("cannot read the audit log " + file.string());
    const AuditHead head = read_audit_head(file);
    AuditEnd end;
    std::string last;
    const AuditLogSummary summary = summarize_audit_log(
        log.fd(), head, [&](std::string_view line, std::uint64_t, const auto&) { last = line; });
    end.lines = summary.lines;
    end.sha256 = summary.last_sha256;
    boost::system::error_code ec;
    const auto value = boost::json::parse(last, ec);
    if (!ec && value.is_object()) end.time = field(value.as_object(), "time");
    end.mismatch = compare_audit_head(head, summary, audit_head_file(file).filename().string());
    return end;
}

}  // namespace sithsd::daemon
