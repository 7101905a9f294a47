#pragma once
// The audit trail of PROTOCOL.md: one JSON object per line for every authenticate, sign and
// consent decision, appended and flushed to disk before the answer goes out. Each line carries
// `prev`, the SHA-256 of the line before it, so that a removed or altered line is detectable.
// Never a PIN, never the data or document: only hashes of what was shown and signed. Reading and
// checking a log: audit_file.hpp, audit_verify.hpp.
#include <sys/types.h>

#include <boost/json/object.hpp>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>

#include "daemon/audit_file.hpp"

namespace sithsd::daemon {

struct AuditEntry {
    std::string origin;  // or the local program
    std::string method;  // authenticate, sign, consent
    std::string card_id;
    std::string certificate_serial;
    std::string hsa_id;
    std::string hash_algorithm;
    std::string display_text_sha256;  // hex; sign only
    std::string signed_hash_sha256;   // hex; sign only
    std::string result;               // "ok", or the error reason (PIN_INCORRECT, allow, deny, …)
};

// The audit trail: append() writes and flushes one line or throws.
class Audit {
  public:
    virtual ~Audit() = default;
    virtual void append(const AuditEntry& entry) = 0;
};

class AuditLog final : public Audit {
  public:
    // Opens (creating folder and file, mode 0600), takes the log's lock (audit_lock.hpp: throws
    // AuditLogInUse when another process holds it), reads the log to continue the chain and
    // compares it with FILE.head: where they disagree (lines cut away, a missing head, a head
    // naming another line) it says so in the daemon's log at the highest level and writes a
    // `tamper` line into the audit log itself before anything else. Throws std::runtime_error
    // when any of it fails.
    explicit AuditLog(std::filesystem::path file);
    ~AuditLog() override;
    AuditLog(const AuditLog&) = delete;
    AuditLog& operator=(const AuditLog&) = delete;

    // Appends, flushes, and records the new last line beside the log (FILE.head); throws
    // std::runtime_error when any of it failed. Then the file is cut back to its last good length
    // (a full disk never leaves half a line, nor a line saying "ok" for a request that failed).
    void append(const AuditEntry& entry) override;

  private:
    // Compares FILE.head with the log as read; a mismatch becomes a tamper line.
    void check_head(const AuditHead& head, const AuditLogSummary& log);
    // Appends one line (prev_ is added), flushes it, then the head; cuts back and throws on
    // failure.
    void write_line(boost::json::object fields);
    // Cuts the file back to good_length_; false when even that failed.
    bool cut_back();
    // Overwrites FILE.head in place with the record of the new last line and flushes it.
    bool write_head(const std::string& hash, std::uint64_t lines);

    std::filesystem::path file_;
    std::mutex mutex_;
    int fd_ = -1;  // read and appended; holds the lock (never a second descriptor of the file)
    // FILE.head, open for the daemon's life: one fixed-size record rewritten in place (an 86-byte
    // write inside one sector), cheaper than a new file and a rename per line, and it needs no
    // new block on a full disk.
    int head_fd_ = -1;
    off_t good_length_ = 0;  // the file's length after its last whole, recorded line
    std::uint64_t lines_ = 0;
    std::string prev_;  // SHA-256 (hex) of the last line written
};

}  // namespace sithsd::daemon
