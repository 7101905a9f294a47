// The sockets systemd hands over when a socket unit starts the daemon (sd_listen_fds): the Unix
// socket (sithsd.socket) and the loopback WebSocket port (sithsd-websocket.socket, where it is
// enabled), taken instead of binding them ourselves.
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

// Stops listening on sockets that will not be served (`websocket = false` with a TCP socket
// passed anyway): shutdown() ends the listening state of the socket itself, which systemd holds
// too, so the port refuses connections instead of queueing them for nobody (a close alone would
// leave systemd's copy listening). systemd then finds the socket hung up when the daemon stops and
// fails that socket unit ("Got POLLHUP on a listening socket"), which is what it should do: the
// unit is not wanted. Empties `sockets`.
void refuse_unserved_sockets(std::vector<int>& sockets);

}  // namespace sithsd::daemon
