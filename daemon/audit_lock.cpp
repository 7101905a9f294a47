#include "daemon/audit_lock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

namespace sithsd::daemon {
namespace {

// "pid 1234 (sithsd)" when that process is on this machine, else what is known of it.
std::string describe_holder(pid_t pid) {
    if (pid <= 0) return "a process the lock does not name (on another machine, through NFS?)";
    std::string name;
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    if (!std::getline(comm, name))
        return "pid " + std::to_string(pid) + ", not a process of this machine (NFS?)";
    return "pid " + std::to_string(pid) + " (" + name + ")";
}

flock whole_file(short type) {
    flock lock{};
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    lock.l_start = 0;
    lock.l_len = 0;  // to the end, however far it grows
    return lock;
}

}  // namespace

AuditLogInUse::AuditLogInUse(const std::filesystem::path& log, pid_t holder)
    : std::runtime_error("the audit log " + log.string() + " is in use by " +
                         describe_holder(holder) +
                         ": one audit log has one writer. Stop that sithsd, or give this one "
                         "an audit_log (or state_dir) of its own"),
      holder_(holder) {}

void lock_audit_log(int fd, const std::filesystem::path& log) {
    // The holder may let go between our try and our question: ask again a few times.
    for (int attempt = 0; attempt < 5; ++attempt) {
        flock lock = whole_file(F_WRLCK);
        if (::fcntl(fd, F_SETLK, &lock) == 0) return;
        if (errno == EINTR) continue;
        if (errno != EACCES && errno != EAGAIN)
            throw std::runtime_error("cannot lock the audit log " + log.string() + ": " +
                                     std::strerror(errno));
        flock holder = whole_file(F_WRLCK);
        if (::fcntl(fd, F_GETLK, &holder) != 0)
            throw std::runtime_error("cannot lock the audit log " + log.string() + ": " +
                                     std::strerror(errno));
        if (holder.l_type != F_UNLCK) throw AuditLogInUse(log, holder.l_pid);
    }
    throw AuditLogInUse(log, 0);
}

}  // namespace sithsd::daemon
