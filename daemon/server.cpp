#include "daemon/server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
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
          signals(io, SIGINT, SIGTERM) {}

    ServerOptions options;
    MessageHandler& handler;
    boost::asio::io_context io;
    boost::asio::signal_set signals;
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
};

Server::Server(ServerOptions options, MessageHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

Server::~Server() = default;

void Server::run() {
    Impl& d = *impl_;
    d.registry = std::make_shared<SessionRegistry>(d.options.limits.pools);
    TransportContext context{d.io, d.handler, d.registry, d.options.limits};
    d.listeners.push_back(make_websocket_listener(context, d.options.port, d.options.policy));
    d.listeners.push_back(make_unix_listener(context, d.options.unix_socket));
    d.signals.async_wait([&d](const boost::system::error_code& ec, int signal) {
        if (!ec) d.begin_shutdown(signal == SIGTERM ? "SIGTERM" : "SIGINT");
    });
    spdlog::info("ready ({} network threads)", d.options.threads);

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
