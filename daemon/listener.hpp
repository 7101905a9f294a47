// What the server needs from a transport's listener. No Beast, no Asio.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "daemon/connection.hpp"
#include "daemon/origin_policy.hpp"
#include "daemon/session_registry.hpp"
#include "daemon/transport_limits.hpp"

namespace boost::asio {
class io_context;
}

namespace sithsd::daemon {

class Listener {
  public:
    virtual ~Listener() = default;
    // Stops accepting (thread-safe). Open sessions are closed through the SessionRegistry.
    virtual void stop() = 0;
};

// Everything a transport's sessions share.
struct TransportContext {
    boost::asio::io_context& io;
    MessageHandler& handler;
    std::shared_ptr<SessionRegistry> registry;
    TransportLimits limits;
};

// WebSocket on 127.0.0.1:port and [::1]:port (ws_transport.cpp, the only Beast file). Binds at
// once and throws std::runtime_error when 127.0.0.1 cannot be bound; a missing ::1 (no IPv6) is
// logged and tolerated. With `inherited` (listening loopback sockets from systemd) it binds
// nothing and accepts on those.
std::shared_ptr<Listener> make_websocket_listener(const TransportContext& context,
                                                  std::uint16_t port, OriginPolicy policy,
                                                  const std::vector<int>& inherited = {});

// Unix socket at `path` (unix_transport.cpp): folder 0700, socket 0600, a stale socket removed,
// peers of another uid refused. Throws std::runtime_error when it cannot listen. With
// `inherited` (the listening socket from systemd) it accepts on that and leaves its file alone.
std::shared_ptr<Listener> make_unix_listener(const TransportContext& context,
                                             const std::filesystem::path& path,
                                             std::optional<int> inherited = std::nullopt);

}  // namespace sithsd::daemon
