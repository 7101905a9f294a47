// Who owns the other end of a loopback TCP connection, and who holds a listening port: the kernel's
// socket diagnostics (NETLINK_SOCK_DIAG, inet_diag), which any user may query. On a terminal server
// every user shares 127.0.0.1, so a browser of another user could reach our WebSocket; the Unix
// socket has SO_PEERCRED for this, TCP has nothing but this lookup. No Asio, no Beast.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <variant>

namespace sithsd::daemon {

// One end of a TCP connection: an IPv4 or IPv6 address and a port (host byte order).
struct TcpEndpoint {
    int family = AF_INET;         // AF_INET or AF_INET6
    unsigned char address[16]{};  // 4 bytes for AF_INET, network byte order
    std::uint16_t port = 0;
};

// The uid, or why it could not be found (a sentence for the log).
using OwnerResult = std::variant<unsigned, std::string>;

// The uid owning the socket whose local end is `local` and remote end `remote`: for a client that
// connected to us, local = the client's address (our remote endpoint), remote = our address. One
// exact lookup of that 4-tuple, with a 1 s deadline.
[[nodiscard]] OwnerResult tcp_socket_owner(const TcpEndpoint& local, const TcpEndpoint& remote);

// The uid of whoever listens on `local` (a dump of the listening sockets, matched by address and
// port), for the start-up message when our port is taken.
[[nodiscard]] OwnerResult tcp_listener_owner(const TcpEndpoint& local);

}  // namespace sithsd::daemon
