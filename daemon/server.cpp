#include "daemon/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "daemon/listener.hpp"
#include "daemon/session_registry.hpp"

namespace sithsd::daemon {

struct Server::Impl {
    Impl(ServerOptions o, MessageHandler& h)
        : options(std::move(o)),
          handler(h),
          io(static_cast<int>(options.threads)),
          signals(io, SIGINT, SIGTERM),
          idle_timer(io) {}

    ServerOptions options;
    MessageHandler& handler;
    boost::asio::io_context io;
    boost::asio::signal_set signals;
    boost::asio::steady_timer idle_timer;
    std::chrono::steady_clock::time_point busy_at = std::chrono::steady_clock::now();
    std::shared_ptr<SessionRegistry> registry;
    std::vector<std::shared_ptr<Listener>> listeners;
    std::atomic<bool> stopping{false};

    // The watchdog that ends the loop if connections do not close within the grace time.
    std::mutex mutex;
    std::condition_variable finished_cv;
    bool finished = false;
    std::optional<std::thread> watchdog;

    void begin_shutdown(const char* why) {
        if (stopping.exchange(true)) return;
        spdlog::info("shutting down ({})", why);
        boost::system::error_code ignored;
        signals.cancel(ignored);
        idle_timer.cancel();
        for (auto& listener : listeners) listener->stop();
        handler.on_shutdown();  // pending requests get their SHUTTING_DOWN answers first
        for (auto& session : registry->stop()) session->shutdown_close();
        watchdog.emplace([this] {
            std::unique_lock lock(mutex);
            if (!finished_cv.wait_for(lock, options.shutdown_grace, [this] { return finished; })) {
                spdlog::warn("connections still open after {} ms; stopping anyway",
                             options.shutdown_grace.count());
                io.stop();
            }
        });
    }

    // Socket-activated: checks a few times per idle_exit whether anyone is here.
    void watch_idle() {
        const auto step = std::max<std::chrono::steady_clock::duration>(
            options.idle_exit / 4, std::chrono::milliseconds(250));
        idle_timer.expires_after(
            std::min<std::chrono::steady_clock::duration>(step, std::chrono::seconds(15)));
        idle_timer.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopping) return;
            const auto now = std::chrono::steady_clock::now();
            if (registry->open_connections() > 0 || options.holds_state()) busy_at = now;
            if (now - busy_at >= options.idle_exit) {
                begin_shutdown("idle");
                return;
            }
            watch_idle();
        });
    }
};

Server::Server(ServerOptions options, MessageHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

Server::~Server() = default;

void Server::run() {
    Impl& d = *impl_;
    d.registry = std::make_shared<SessionRegistry>(d.options.limits.pools);
    TransportContext context{d.io, d.handler, d.registry, d.options.limits};
    const InheritedSockets& inherited = d.options.inherited;
    bool websocket = d.options.websocket;
    if (!websocket && !inherited.websocket.empty()) {
        spdlog::warn(
            "websocket = false: the TCP socket systemd passed is closed, not served (the "
            "port now refuses connections); turn its unit off: systemctl --user disable "
            "--now sithsd-websocket.socket");
        refuse_unserved_sockets(d.options.inherited.websocket);
    } else if (websocket && inherited.activated && inherited.websocket.empty()) {
        spdlog::info("websocket: no TCP socket passed (sithsd-websocket.socket is not enabled)");
        websocket = false;
    }
    if (websocket) {
        d.listeners.push_back(make_websocket_listener(context, d.options.port, d.options.policy,
                                                      inherited.websocket));
    }
    d.listeners.push_back(
        make_unix_listener(context, d.options.unix_socket, inherited.unix_socket));
    if (inherited.activated && d.options.idle_exit.count() > 0) {
        spdlog::info("socket-activated: stopping after {} s with no client",
                     d.options.idle_exit.count());
        d.watch_idle();
    }
    d.signals.async_wait([&d](const boost::system::error_code& ec, int signal) {
        if (!ec) d.begin_shutdown(signal == SIGTERM ? "SIGTERM" : "SIGINT");
    });
    spdlog::info("ready ({} network threads{})", d.options.threads,
                 websocket ? "" : ", WebSocket off");

    std::vector<std::thread> threads;
    for (unsigned i = 1; i < d.options.threads; ++i) threads.emplace_back([&d] { d.io.run(); });
    d.io.run();
    for (auto& thread : threads) thread.join();
    {
        std::lock_guard lock(d.mutex);
        d.finished = true;
    }
    d.finished_cv.notify_all();
    if (d.watchdog) d.watchdog->join();
    d.listeners.clear();  // removes the socket file if stop() did not get to it
    spdlog::info("stopped");
}

void Server::stop() {
    boost::asio::post(impl_->io, [d = impl_.get()] { d->begin_shutdown("stop requested"); });
}

}  // namespace sithsd::daemon
