// sithsd: reads the config, sets up logging, runs the transports until SIGTERM/SIGINT.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "daemon/basic_dispatcher.hpp"
#include "daemon/config.hpp"
#include "daemon/server.hpp"

namespace {

using namespace sithsd::daemon;

void setup_logging() {
    auto logger = spdlog::stderr_logger_mt("sithsd");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"sithsd: SITHS smart-card daemon (WebSocket on loopback and a Unix socket)",
                 "sithsd"};
    std::string config_file;
    app.add_option("-c,--config", config_file, "TOML configuration file")->check(CLI::ExistingFile);
    app.set_version_flag("-V,--version", std::string("sithsd ") + SITHSD_VERSION);
    CLI11_PARSE(app, argc, argv);

    setup_logging();
    const Environment env = Environment::from_process();
    Config config;
    try {
        if (!config_file.empty()) {
            config = load_config(config_file, env);
        } else if (std::filesystem::exists(default_config_path(env))) {
            config = load_config(default_config_path(env), env);
        } else {
            config = default_config(env);
        }
    } catch (const ConfigError& e) {
        spdlog::error("bad configuration: {}", e.what());
        return 2;
    }

    spdlog::info("sithsd {} starting", SITHSD_VERSION);
    if (config.modules.empty()) spdlog::info("no card modules configured");

    std::signal(SIGPIPE, SIG_IGN);  // a client that goes away must not kill the daemon
    OriginPolicy policy(config.allowed_origins, config.denied_origins,
                        config.prompt_unknown_origins);
    ServerOptions options;
    options.port = config.port;
    options.unix_socket = config.unix_socket;
    options.policy = policy;
    options.limits.idle_timeout = config.idle_timeout;
    options.limits.max_connections = config.max_connections;

    // The dispatcher outlives the server: sessions it still holds are released after the
    // server's event loop is gone only if it keeps none (it must drop them in on_close).
    BasicDispatcher dispatcher(policy);
    try {
        Server server(options, dispatcher);
        server.run();
    } catch (const std::exception& e) {
        spdlog::error("cannot run: {}", e.what());
        return 1;
    }
    return 0;
}
