// sithsd-portal: the demo portal (a login page and an attest page) for sithsd, with the
// relying-party checks of protocol/verifier.hpp. Prints "portal: http://127.0.0.1:PORT/" when
// ready.
//   sithsd-portal --world DIR --port 8080 --daemon-port 24891 --static DIR [--ocsp-url URL |
//   --no-ocsp] [--redis redis://HOST:PORT --origin https://portal.example.se] [--nonce-ttl S]
//   [--ocsp-cache-max S] [--max-connections N] [--workers N]
// The HTTP server's limits and deadlines are http_server.hpp's (HttpLimits); SIGTERM or SIGINT
// stops it cleanly: no new connections, the requests being answered get their answers, exit 0.
// With --redis, nonces, sessions and OCSP answers live in Redis: several nodes behind a load
// balancer serve one portal (the attest page's orders stay in each node's memory).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "browser-bridge/demo/server/http_server.hpp"
#include "browser-bridge/demo/server/orders.hpp"
#include "browser-bridge/demo/server/portal_api.hpp"
#include "browser-bridge/demo/server/portal_site.hpp"
#include "browser-bridge/demo/server/session_store.hpp"
#include "protocol/memory_store.hpp"
#include "protocol/nonce_store.hpp"
#include "protocol/ocsp_cache.hpp"
#include "protocol/origin.hpp"
#include "protocol/redis_store.hpp"
#include "protocol/verifier.hpp"

namespace {

// Memory for one node; Redis (checked once, but a node also starts while Redis is away) for many.
std::unique_ptr<sithsd::protocol::TtlStore> make_store(const std::string& redis_url) {
    using namespace sithsd::protocol;
    if (redis_url.empty()) return std::make_unique<MemoryStore>();
    auto options = parse_redis_url(redis_url);
    if (!options) throw std::runtime_error("--redis: not a redis://HOST[:PORT][/DB] URL");
    auto store = std::make_unique<RedisStore>(*options);
    try {
        store->check();
        spdlog::info("store: redis {}:{}", options->host, options->port);
    } catch (const StoreUnavailable& e) {
        spdlog::warn("store: {} (logins answer 503 until it answers)", e.what());
    }
    return store;
}

}  // namespace

static int run(int argc, char** argv) {
    CLI::App app{"sithsd-portal: demo portal for sithsd (login and attest)"};
    std::filesystem::path world, static_dir;
    std::uint16_t port = 8080, daemon_port = 24891;
    sithsd::protocol::VerifierOptions verifier_options;
    app.add_option("--world", world,
                   "the test world (its pki/root.pem and pki/chain.pem are trusted)")
        ->required()
        ->check(CLI::ExistingDirectory);
    app.add_option("--static", static_dir, "the pages and their built scripts")
        ->required()
        ->check(CLI::ExistingDirectory);
    app.add_option("--port", port, "HTTP port on 127.0.0.1 (0: a free one)");
    app.add_option("--daemon-port", daemon_port, "sithsd's WebSocket port");
    auto* no_ocsp = app.add_flag("--no-ocsp", verifier_options.no_ocsp, "skip the OCSP check");
    app.add_option("--ocsp-url", verifier_options.ocsp_url,
                   "OCSP responder instead of the certificates' AIA")
        ->excludes(no_ocsp);
    int ocsp_timeout = 10;
    app.add_option("--ocsp-timeout", ocsp_timeout, "seconds to wait for the OCSP responder")
        ->check(CLI::Range(1, 60));
    std::string redis_url, public_origin;
    int nonce_ttl = 300, ocsp_cache_max = 300;
    app.add_option("--redis", redis_url,
                   "redis://HOST[:PORT][/DB]: nonces, sessions and OCSP answers shared by every "
                   "node (default: this process's memory)");
    app.add_option("--origin", public_origin,
                   "the public origin every node serves (default: http://127.0.0.1:PORT)");
    app.add_option("--nonce-ttl", nonce_ttl, "seconds a challenge nonce stays valid")
        ->check(CLI::Range(1, 300));
    app.add_option("--ocsp-cache-max", ocsp_cache_max,
                   "seconds an OCSP answer is remembered at most (until its nextUpdate); 0: "
                   "ask the responder at every login")
        ->check(CLI::Range(0, 86400));
    sithsd::portal::HttpLimits limits;
    app.add_option("--max-connections", limits.max_connections,
                   "connections served at a time; the next ones are answered 503")
        ->check(CLI::Range(1, 100000));
    app.add_option("--workers", limits.workers,
                   "threads that answer requests (they wait for Redis and OCSP)")
        ->check(CLI::Range(1, 256));
    CLI11_PARSE(app, argc, argv);
    if (!public_origin.empty()) {
        std::string why;
        const auto parsed = sithsd::protocol::parse_origin(public_origin, &why);
        if (!parsed) {
            std::cerr << "--origin: " << why << "\n";
            return 2;
        }
        public_origin = parsed->serialize();
    }

    auto logger = spdlog::stderr_color_mt("portal");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ portal: %v");

    // SIGTERM and SIGINT are taken by sigwait below, in the main thread only.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    try {
        const auto store = make_store(redis_url);
        verifier_options.trust = (world / "pki" / "root.pem").string();
        verifier_options.intermediates = (world / "pki" / "chain.pem").string();
        verifier_options.ocsp_timeout = std::chrono::seconds(ocsp_timeout);
        if (ocsp_cache_max > 0 && !verifier_options.no_ocsp) {
            verifier_options.ocsp_cache = std::make_shared<sithsd::protocol::OcspCache>(
                *store, std::chrono::seconds(ocsp_cache_max));
        }
        const sithsd::protocol::Verifier verifier(verifier_options);
        sithsd::protocol::NonceStore nonces(*store, std::chrono::seconds(nonce_ttl));
        sithsd::portal::SessionStore sessions(*store);
        sithsd::portal::OrderBook orders;
        // Bound first: the port is part of the origin when no --origin is given.
        sithsd::portal::HttpServer server({port, limits});
        const std::string node_host = "127.0.0.1:" + std::to_string(server.port());
        const std::string origin = public_origin.empty() ? "http://" + node_host : public_origin;
        sithsd::portal::PortalApi api(verifier, nonces, sessions, orders, origin);
        const sithsd::portal::PortalSite site(
            {node_host, public_origin, static_dir,
             "ws://127.0.0.1:" + std::to_string(daemon_port) + "/v1"},
            api);
        server.start(
            [&site](const sithsd::portal::HttpRequest& request) { return site.respond(request); });
        spdlog::info("verifying against {} (OCSP: {}; answers remembered: {})", origin,
                     verifier_options.no_ocsp            ? "off"
                     : verifier_options.ocsp_url.empty() ? "the certificates' AIA"
                                                         : verifier_options.ocsp_url,
                     verifier_options.ocsp_cache ? "up to " + std::to_string(ocsp_cache_max) + " s"
                                                 : std::string("no"));
        spdlog::info("at most {} connections, {} workers", limits.max_connections, limits.workers);
        std::cout << "portal: http://" << node_host << "/" << std::endl;
        int signal = 0;
        sigwait(&signals, &signal);
        spdlog::info("stopping on signal {}", signal);
        // Before the site and the API go: the workers call them until join() returns.
        server.stop();
        server.join();
        spdlog::info("stopped");
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
    return 0;
}

// Nothing escapes main: a failure that got this far is said, not a std::terminate.
int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sithsd-portal: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "sithsd-portal: unexpected failure\n");
    }
    return 1;
}
