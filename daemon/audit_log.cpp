#include "daemon/audit_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <stdexcept>

#include "daemon/atomic_file.hpp"
#include "daemon/card_json.hpp"

namespace sithsd::daemon {
namespace {

const std::string kGenesis(64, '0');  // prev of the first line

// The hash of the last line, kept beside the log: without it an altered or removed last line
// would go unnoticed, since no line after it links to it.
std::filesystem::path head_file(const std::filesystem::path& log) {
    return log.string() + ".head";
}

}  // namespace

AuditLog::AuditLog(std::filesystem::path file) : file_(std::move(file)), prev_(kGenesis) {
    std::filesystem::create_directories(file_.parent_path());
    {
        std::ifstream in(file_);
        std::string line, last;
        while (std::getline(in, line))
            if (!line.empty()) last = line;
        if (!last.empty()) prev_ = sha256_hex(last);
    }
    int fd = open(file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot open audit log " + file_.string());
    out_ = fdopen(fd, "a");
    if (!out_) {
        close(fd);
        throw std::runtime_error("cannot open audit log " + file_.string());
    }
}

AuditLog::~AuditLog() {
    if (out_) std::fclose(out_);
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
    std::string line = boost::json::serialize(o);
    if (std::fputs((line + "\n").c_str(), out_) < 0 || std::fflush(out_) != 0 ||
        fsync(fileno(out_)) != 0)
        throw std::runtime_error("cannot write audit log " + file_.string());
    prev_ = sha256_hex(line);
    write_file_atomically(head_file(file_), prev_ + "\n");
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
