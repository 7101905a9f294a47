// The network side of the daemon: both listeners on one Asio thread pool, signals, shutdown.
// No Beast, no Asio in this header.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "daemon/connection.hpp"
#include "daemon/origin_policy.hpp"
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
