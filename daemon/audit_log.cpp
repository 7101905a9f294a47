#include "daemon/audit_log.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "common/digest.hpp"
#include "daemon/atomic_file.hpp"
#include "daemon/audit_lock.hpp"
#include "daemon/card_json.hpp"

namespace sithsd::daemon {
namespace {

// FILE.head as it is, before anything is created: a missing head is not an empty one.
std::optional<std::string> read_head(int fd) {
    if (fd < 0) return std::nullopt;
    std::string text;
    char buffer[512];
    for (off_t offset = 0;;) {
        const ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        offset += n;
        if (text.size() > 4096) break;  // no record is this long: malformed whatever follows
    }
    return text;
}

std::string text_or_unknown(const std::optional<std::uint64_t>& n) {
    return n ? std::to_string(*n) : "unknown";
}

}  // namespace

AuditLog::AuditLog(std::filesystem::path file) : file_(std::move(file)), prev_(kAuditGenesis) {
    create_private_folder(file_.parent_path());
    // Read through the same descriptor that holds the lock: closing another one would drop it.
    fd_ = open(file_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw std::runtime_error("cannot open audit log " + file_.string());
    try {
        lock_audit_log(fd_, file_);
        const auto head_path = audit_head_file(file_);
        head_fd_ = open(head_path.c_str(), O_RDWR | O_CLOEXEC);
        const AuditHead head = parse_audit_head(read_head(head_fd_));
        if (head_fd_ < 0) head_fd_ = open(head_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (head_fd_ < 0) throw std::runtime_error("cannot open " + head_path.string());
        // The chain continues from the last whole line; a line cut short by a crash is dropped.
        const AuditLogSummary log = summarize_audit_log(fd_, head);
        good_length_ = log.whole_length;
        lines_ = log.lines;
        if (log.lines > 0) prev_ = log.last_sha256;
        if (log.file_length != log.whole_length) {
            spdlog::warn("audit log {}: an unfinished last line is removed", file_.string());
            if (!cut_back()) throw std::runtime_error("cannot repair audit log " + file_.string());
        }
        check_head(head, log);
    } catch (...) {
        if (head_fd_ >= 0) close(head_fd_);
        close(fd_);
        throw;
    }
}

AuditLog::~AuditLog() {
    if (fd_ >= 0) close(fd_);
    if (head_fd_ >= 0) close(head_fd_);
}

void AuditLog::check_head(const AuditHead& head, const AuditLogSummary& log) {
    const auto head_name = audit_head_file(file_).filename().string();
    if (const auto mismatch = compare_audit_head(head, log, head_name)) {
        // Loud: the journal's "crit", and a line in the log that every later verify reports.
        spdlog::critical(
            "AUDIT LOG TAMPERED WITH? {}: {} (lines expected: {}, present: {}); written to the "
            "log as a tamper line. Keep both files for whoever investigates",
            file_.string(), mismatch->found, text_or_unknown(mismatch->lines_expected),
            mismatch->lines_present);
        boost::json::object line{
            {"time", rfc3339(std::chrono::system_clock::now())},
            {"origin", "sithsd"},
            {"method", "tamper"},
            {"cardId", ""},
            {"certificateSerial", ""},
            {"hsaId", ""},
            {"hashAlgorithm", ""},
            {"displayTextSha256", ""},
            {"signedHashSha256", ""},
            {"result", "HEAD_MISMATCH"},
            {"found", mismatch->found},
            {"linesExpected", mismatch->lines_expected
                                  ? boost::json::value(*mismatch->lines_expected)
                                  : boost::json::value(nullptr)},
            {"linesPresent", mismatch->lines_present},
            {"headSha256", head.state == AuditHead::State::present ? head.sha256 : ""}};
        write_line(std::move(line));
    } else if (lines_ > 0 && head.lines != lines_) {
        // A head of the older form (no line count): the same head in today's form.
        if (!write_head(prev_, lines_))
            throw std::runtime_error("cannot write " + audit_head_file(file_).string());
    }
    struct stat st {};
    if (fstat(head_fd_, &st) == 0 && st.st_size > static_cast<off_t>(kAuditHeadRecord) &&
        ftruncate(head_fd_, static_cast<off_t>(kAuditHeadRecord)) != 0)
        throw std::runtime_error("cannot write " + audit_head_file(file_).string());
}

bool AuditLog::write_head(const std::string& hash, std::uint64_t lines) {
    const std::string record = format_audit_head(hash, lines);
    return pwrite(head_fd_, record.data(), record.size(), 0) ==
               static_cast<ssize_t>(kAuditHeadRecord) &&
           fdatasync(head_fd_) == 0;
}

bool AuditLog::cut_back() {
    return ftruncate(fd_, good_length_) == 0 && fsync(fd_) == 0;
}

void AuditLog::append(const AuditEntry& e) {
    std::lock_guard lock(mutex_);
    write_line({{"time", rfc3339(std::chrono::system_clock::now())},
                {"origin", e.origin},
                {"method", e.method},
                {"cardId", e.card_id},
                {"certificateSerial", e.certificate_serial},
                {"hsaId", e.hsa_id},
                {"hashAlgorithm", e.hash_algorithm},
                {"displayTextSha256", e.display_text_sha256},
                {"signedHashSha256", e.signed_hash_sha256},
                {"result", e.result}});
}

void AuditLog::write_line(boost::json::object fields) {
    fields["prev"] = prev_;
    const std::string line = boost::json::serialize(fields);
    const std::string data = line + "\n";
    auto fail = [&](const std::string& what) {
        const int error = errno;
        if (!cut_back())
            spdlog::error("audit log {}: cannot cut back to {} bytes: {}", file_.string(),
                          static_cast<long long>(good_length_), std::strerror(errno));
        throw std::runtime_error("cannot " + what + " audit log " + file_.string() + ": " +
                                 std::strerror(error));
    };
    // A failed append before may have left bytes that could not be cut: never write after them.
    struct stat st {};
    if (fstat(fd_, &st) != 0 || st.st_size != good_length_) fail("repair");
    if (!write_all(fd_, data)) fail("write");
    // fdatasync: the data and the new length (what a reader needs), not the times.
    if (fdatasync(fd_) != 0) fail("flush");
    // The line counts only once FILE.head names it: without the head, verify would call the new
    // last line an addition after the recorded end.
    const std::string next = sha256_hex(line);
    if (!write_head(next, lines_ + 1)) {
        const int error = errno;
        // Best effort: the head names the line that stays, or nothing before the first line.
        if (lines_ > 0 ? !write_head(prev_, lines_) : ftruncate(head_fd_, 0) != 0)
            spdlog::error("audit log {}: cannot put its head back", file_.string());
        errno = error;
        fail("record the head of");  // cuts the line back and throws
    }
    prev_ = next;
    ++lines_;
    good_length_ += static_cast<off_t>(data.size());
}

}  // namespace sithsd::daemon
