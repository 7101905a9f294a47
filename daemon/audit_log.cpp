#include "daemon/audit_log.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "daemon/atomic_file.hpp"
#include "daemon/card_json.hpp"

namespace sithsd::daemon {
namespace {

const std::string kGenesis(64, '0');  // prev of the first line
constexpr off_t kHeadRecord = 65;     // FILE.head: a SHA-256 in hex and "\n"

// The hash of the last line, kept beside the log: without it an altered or removed last line
// would go unnoticed, since no line after it links to it.
std::filesystem::path head_file(const std::filesystem::path& log) {
    return log.string() + ".head";
}

}  // namespace

AuditLog::AuditLog(std::filesystem::path file) : file_(std::move(file)), prev_(kGenesis) {
    create_private_folder(file_.parent_path());
    {
        // The chain continues from the last whole line; a line cut short by a crash is dropped.
        std::ifstream in(file_, std::ios::binary);
        std::string line;
        while (std::getline(in, line)) {
            if (in.eof()) break;  // no "\n" after it: not a whole line
            good_length_ += static_cast<off_t>(line.size() + 1);
            if (!line.empty()) prev_ = sha256_hex(line);
        }
    }
    fd_ = open(file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw std::runtime_error("cannot open audit log " + file_.string());
    struct stat st {};
    if (fstat(fd_, &st) == 0 && st.st_size != good_length_) {
        spdlog::warn("audit log {}: an unfinished last line is removed", file_.string());
        if (!cut_back()) {
            close(fd_);
            throw std::runtime_error("cannot repair audit log " + file_.string());
        }
    }
    head_fd_ = open(head_file(file_).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    // Longer than one record (written by hand?): cut once here, so append() only overwrites.
    if (head_fd_ < 0 || (fstat(head_fd_, &st) == 0 && st.st_size > kHeadRecord &&
                         ftruncate(head_fd_, kHeadRecord) != 0)) {
        if (head_fd_ >= 0) close(head_fd_);
        close(fd_);
        throw std::runtime_error("cannot open " + head_file(file_).string());
    }
}

AuditLog::~AuditLog() {
    if (fd_ >= 0) close(fd_);
    if (head_fd_ >= 0) close(head_fd_);
}

bool AuditLog::write_head(const std::string& hash) {
    const std::string record = hash + "\n";  // always kHeadRecord bytes
    return pwrite(head_fd_, record.data(), record.size(), 0) == kHeadRecord &&
           fdatasync(head_fd_) == 0;
}

bool AuditLog::cut_back() {
    return ftruncate(fd_, good_length_) == 0 && fsync(fd_) == 0;
}

void AuditLog::append(const AuditEntry& e) {
    std::lock_guard lock(mutex_);
    boost::json::object o{{"time", rfc3339(std::chrono::system_clock::now())},
                          {"origin", e.origin},
                          {"method", e.method},
                          {"cardId", e.card_id},
                          {"certificateSerial", e.certificate_serial},
                          {"hsaId", e.hsa_id},
                          {"hashAlgorithm", e.hash_algorithm},
                          {"displayTextSha256", e.display_text_sha256},
                          {"signedHashSha256", e.signed_hash_sha256},
                          {"result", e.result},
                          {"prev", prev_}};
    const std::string line = boost::json::serialize(o);
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
    if (!write_head(next)) {
        const int error = errno;
        write_head(prev_);  // best effort: the head names the last line that stays
        errno = error;
        fail("record the head of");  // cuts the line back and throws
    }
    prev_ = next;
    good_length_ += static_cast<off_t>(data.size());
}

std::vector<AuditProblem> verify_audit_file(const std::filesystem::path& file) {
    std::vector<AuditProblem> problems;
    std::ifstream in(file);
    if (!in) return {{0, "cannot read " + file.string()}};
    std::string line, prev = kGenesis;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        boost::system::error_code ec;
        auto value = boost::json::parse(line, ec);
        const boost::json::value* link =
            (!ec && value.is_object()) ? value.as_object().if_contains("prev") : nullptr;
        if (!link || !link->is_string()) {
            problems.push_back({number, "not an audit line (no JSON object with prev)"});
        } else if (link->as_string() != prev) {
            problems.push_back({number, "chain broken: the line before it was altered or removed"});
        }
        prev = sha256_hex(line);
    }
    std::ifstream head(head_file(file));
    std::string expected;
    if (head >> expected && expected != prev)
        problems.push_back({number, "the last line was altered or lines after it were removed"});
    return problems;
}

}  // namespace sithsd::daemon
