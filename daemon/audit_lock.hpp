#pragma once
// One audit log, one writer: an exclusive POSIX record lock (fcntl F_SETLK, the whole file) on the
// log, held for as long as the daemon has it open. Two daemons on the same `audit_log` (homes on
// NFS shared by terminal servers, a second instance with another socket) would otherwise cut each
// other's lines.
//
// fcntl rather than flock: F_GETLK names the pid that holds the lock, flock names nobody; and
// NFS servers keep fcntl locks (NLM for v3, the protocol's own for v4), so two machines sharing a
// home see each other's. The price of fcntl: the lock belongs to the process, and closing *any*
// descriptor of the file in that process drops it. So nothing in the daemon opens the log but
// AuditLog, which reads it through its own locked descriptor.
#include <sys/types.h>

#include <filesystem>
#include <stdexcept>

namespace sithsd::daemon {

// Another process holds the log's lock.
class AuditLogInUse : public std::runtime_error {
  public:
    AuditLogInUse(const std::filesystem::path& log, pid_t holder);
    // The holder's pid as the lock says it; 0 when it does not say (a lock held through NFS from
    // another machine).
    pid_t holder() const { return holder_; }

  private:
    pid_t holder_;
};

// Takes the lock on fd (open for writing on log) or throws AuditLogInUse; std::runtime_error when
// the file system refuses locks altogether.
void lock_audit_log(int fd, const std::filesystem::path& log);

}  // namespace sithsd::daemon
