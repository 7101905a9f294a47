#pragma once
// Boost.Asio opens and accepts sockets without SOCK_CLOEXEC; the daemon marks each one itself, so
// that no child (a pinentry) inherits a listening socket or a client's connection. Pinentry::start
// also closes every other descriptor in the child: this is the second fence.
#include <fcntl.h>

namespace sithsd::daemon {

inline void close_on_exec(int fd) {
    if (fd >= 0) fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
}

}  // namespace sithsd::daemon
