// The sockets systemd hands over when sithsd.socket starts the daemon (sd_listen_fds): the Unix
// socket and the loopback WebSocket port, taken instead of binding them ourselves.
#pragma once

#include <optional>
#include <vector>

namespace sithsd::daemon {

struct InheritedSockets {
    bool activated = false;          // started by a socket unit (LISTEN_FDS for this process)
    std::optional<int> unix_socket;  // the AF_UNIX stream socket
    std::vector<int> websocket;      // AF_INET/AF_INET6 stream sockets, each bound to loopback
};

// Takes the passed descriptors (and unsets LISTEN_FDS, so that children do not see them) and
// sorts them by kind. Throws std::runtime_error for one sithsd cannot use: not a listening
// stream socket, two Unix sockets, or a TCP socket bound to anything but loopback (a socket unit
// edited to listen on the network must not open the daemon to it).
InheritedSockets take_inherited_sockets();

}  // namespace sithsd::daemon
