// sithsd: reads the config, sets up logging, runs the transports until SIGTERM/SIGINT.
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "daemon/atomic_file.hpp"
#include "daemon/audit_log.hpp"
#include "daemon/card_service.hpp"
#include "daemon/config.hpp"
#include "daemon/consent_store.hpp"
#include "daemon/dispatcher.hpp"
#include "daemon/prompt.hpp"
#include "daemon/server.hpp"
#include "pkcs11/card_error.hpp"
#include "pkcs11/module.hpp"

namespace {

using namespace sithsd::daemon;

void setup_logging() {
    auto logger = spdlog::stderr_logger_mt("sithsd");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

// A person typing a PIN holds a card's queue; this many requests may wait behind them (BUSY after).
constexpr std::size_t kCardQueueDepth = 32;

// Configured modules are all loaded (a missing one is an error naming it); without a `modules`
// key, the first of the usual places that exists (Net iD, then OpenSC), or none with a warning.
std::vector<std::shared_ptr<sithsd::pkcs11::Module>> load_modules(const Config& config) {
    using sithsd::pkcs11::Module;
    std::vector<std::shared_ptr<Module>> modules;
    if (config.modules_configured) {
        for (const auto& path : config.modules) {
            modules.push_back(Module::load(path.string()));
            spdlog::info("loaded PKCS#11 module {}", path.string());
        }
        return modules;
    }
    std::vector<std::string> candidates;
    for (const auto& path : config.modules) candidates.push_back(path.string());
    try {
        std::string path = Module::find(candidates);
        modules.push_back(Module::load(path));
        spdlog::info("loaded PKCS#11 module {}", path);
    } catch (const sithsd::pkcs11::CardError& e) {
        spdlog::warn("{}; running without cards (set `modules` in the config)", e.what());
    }
    return modules;
}

// No PIN in a core dump: no core file at all, and the process is not dumpable (this also keeps
// other processes of the same user from ptrace-attaching or reading /proc/PID/mem). The PIN's own
// pages are also locked and left out of dumps (pkcs11::Secret).
void forbid_core_dumps() {
    const rlimit none{0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0) spdlog::warn("cannot set RLIMIT_CORE to 0");
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) spdlog::warn("cannot clear PR_SET_DUMPABLE");
}

}  // namespace

static int run(int argc, char** argv) {
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
    std::signal(SIGPIPE, SIG_IGN);  // a client that goes away must not kill the daemon
    forbid_core_dumps();

    std::vector<std::shared_ptr<sithsd::pkcs11::Module>> modules;
    try {
        modules = load_modules(config);
    } catch (const sithsd::pkcs11::CardError& e) {
        spdlog::error("{}", e.what());
        return 1;
    }

    OriginPolicy policy(config.allowed_origins, config.denied_origins,
                        config.prompt_unknown_origins);
    ServerOptions options;
    options.port = config.port;
    options.unix_socket = config.unix_socket;
    options.policy = policy;
    options.limits.idle_timeout = config.idle_timeout;
    options.limits.max_connections = config.max_connections;

    try {
        // Owned here and passed down, in the order they depend on each other; destroyed in
        // reverse after the server has stopped: queues drain, modules are finalized last.
        CardService cards(modules, /*watch_pcsc=*/true, kCardQueueDepth,
                          config.identification_pin_cache);
        Prompter prompter(config.pinentry, config.prompt_timeout);
        create_private_folder(config.state_dir);  // 0700: remembered consent and the audit log
        AuditLog audit(config.audit_log);
        ConsentStore consent(config.state_dir / "origins.json");
        const SystemClock clock;
        Dispatcher dispatcher(config, policy, cards, prompter, audit, consent, clock);
        cards.start([&dispatcher](const auto& before, const auto& after) {
            dispatcher.on_cards_changed(before, after);
        });
        Server server(options, dispatcher);
        server.run();
        cards.stop();
    } catch (const std::exception& e) {
        spdlog::error("cannot run: {}", e.what());
        return 1;
    }
    spdlog::info("sithsd stopped");
    return 0;
}

// Nothing escapes main: a failure that got this far is said, not a std::terminate.
int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sithsd: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "sithsd: unexpected failure\n");
    }
    return 1;
}
