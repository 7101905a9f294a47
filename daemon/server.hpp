// The network side of the daemon: both listeners on one Asio thread pool, signals, shutdown.
// No Beast, no Asio in this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

#include "daemon/connection.hpp"
#include "daemon/origin_policy.hpp"
#include "daemon/socket_activation.hpp"
#include "daemon/transport_limits.hpp"

namespace sithsd::daemon {

struct ServerOptions {
    bool websocket = true;  // false: the Unix socket only (Config::websocket)
    std::uint16_t port = 24891;
    std::filesystem::path unix_socket;
    OriginPolicy policy{{}, {}, true};
    TransportLimits limits;
    // Two network threads: one may be busy with a large message (parsing 1 MiB of JSON takes a
    // few ms) while the other keeps every other connection moving. Card work and prompts never
    // run on them, so more would not help on the 2-core machines this runs on.
    unsigned threads = 2;
    // After SIGTERM the connections get this long to flush and close before the loop is stopped.
    std::chrono::milliseconds shutdown_grace{1500};
    // The sockets systemd passed (sithsd.socket); nothing is bound for a transport it covers.
    InheritedSockets inherited;
    // Socket-activated only: stop after this long with no client and nothing held (0: never).
    // systemd keeps listening meanwhile and starts the daemon again for the next client.
    std::chrono::seconds idle_exit{0};
    // True while the daemon holds something a restart would lose (a kept login: the
    // identification PIN cache). Asked from the network thread; must be cheap and thread-safe.
    std::function<bool()> holds_state = [] { return false; };
};

class Server {
  public:
    Server(ServerOptions options, MessageHandler& handler);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds the transports (throws std::runtime_error when it cannot), then serves until
    // SIGTERM, SIGINT or stop(); then stops accepting, lets the handler answer what is pending
    // (MessageHandler::on_shutdown), closes every connection (WebSocket 1001) and returns.
    void run();
    // Starts the shutdown from any thread (as SIGTERM does).
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sithsd::daemon
