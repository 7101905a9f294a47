#include "daemon/socket_activation.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace sithsd::daemon {
namespace {

bool bound_to_loopback(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return false;
    if (address.ss_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
        return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    }
    if (address.ss_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
        return IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    }
    return false;
}

}  // namespace

InheritedSockets take_inherited_sockets() {
    InheritedSockets sockets;
    const int count = sd_listen_fds(/*unset_environment=*/1);
    if (count < 0)
        throw std::runtime_error(std::string("socket activation: ") + std::strerror(-count));
    if (count == 0) return sockets;
    sockets.activated = true;
    for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + count; ++fd) {
        const std::string which = "socket activation: descriptor " + std::to_string(fd);
        // systemd passes them inheritable; a pinentry we start must not hold our sockets.
        if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
            throw std::runtime_error(which + ": " + std::strerror(errno));
        if (sd_is_socket_unix(fd, SOCK_STREAM, /*listening=*/1, nullptr, 0) > 0) {
            if (sockets.unix_socket)
                throw std::runtime_error(which + " is a second Unix socket; sithsd takes one");
            sockets.unix_socket = fd;
        } else if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, /*listening=*/1, 0) > 0) {
            if (!bound_to_loopback(fd))
                throw std::runtime_error(which +
                                         " is not bound to loopback (ListenStream= must be "
                                         "127.0.0.1:PORT or [::1]:PORT)");
            sockets.websocket.push_back(fd);
        } else {
            throw std::runtime_error(which + " is not a listening stream socket");
        }
    }
    return sockets;
}

void refuse_unserved_sockets(std::vector<int>& sockets) {
    for (const int fd : sockets) {
        // On Linux a listening socket shut down for reading leaves the LISTEN state at once:
        // connections waiting in its queue are reset, new ones refused.
        ::shutdown(fd, SHUT_RDWR);
        ::close(fd);
    }
    sockets.clear();
}

}  // namespace sithsd::daemon
