// sithsd-portal: the demo portal (a login page and an attest page) for sithsd, with the
// relying-party checks of protocol/verifier.hpp. Prints "portal: http://127.0.0.1:PORT/" when
// ready.
//   sithsd-portal --world DIR --port 8080 --daemon-port 24891 --static DIR [--ocsp-url URL |
//   --no-ocsp]
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "browser-bridge/demo/server/http_server.hpp"
#include "browser-bridge/demo/server/nonce_store.hpp"
#include "browser-bridge/demo/server/orders.hpp"
#include "browser-bridge/demo/server/portal_api.hpp"
#include "protocol/verifier.hpp"

int main(int argc, char** argv) {
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
    CLI11_PARSE(app, argc, argv);

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
        verifier_options.trust = (world / "pki" / "root.pem").string();
        verifier_options.intermediates = (world / "pki" / "chain.pem").string();
        const sithsd::protocol::Verifier verifier(verifier_options);
        sithsd::portal::NonceStore nonces;
        sithsd::portal::OrderBook orders;
        sithsd::portal::HttpServer server(
            {port, static_dir, "ws://127.0.0.1:" + std::to_string(daemon_port) + "/v1"});
        const std::string origin = "http://127.0.0.1:" + std::to_string(server.port());
        sithsd::portal::PortalApi api(verifier, nonces, orders, origin);
        std::thread([&] { server.run(api); }).detach();
        spdlog::info("verifying against {} (OCSP: {})", origin,
                     verifier_options.no_ocsp            ? "off"
                     : verifier_options.ocsp_url.empty() ? "the certificates' AIA"
                                                         : verifier_options.ocsp_url);
        std::cout << "portal: " << origin << "/" << std::endl;
        int signal = 0;
        sigwait(&signals, &signal);
        spdlog::info("stopping on signal {}", signal);
        // Connection threads may be blocked in a read: end the process without unwinding them.
        std::fflush(nullptr);
        std::_Exit(0);
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }
    return 0;
}
