// sithsd: reads the config, sets up logging, runs the transports until SIGTERM/SIGINT.
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "daemon/atomic_file.hpp"
#include "daemon/audit_lock.hpp"
#include "daemon/audit_log.hpp"
#include "daemon/card_service.hpp"
#include "daemon/config.hpp"
#include "daemon/config_check.hpp"
#include "daemon/consent_store.hpp"
#include "daemon/desktop_notifier.hpp"
#include "daemon/dispatcher.hpp"
#include "daemon/expiry_reminders.hpp"
#include "daemon/journal_logging.hpp"
#include "daemon/prompt.hpp"
#include "daemon/server.hpp"
#include "daemon/socket_activation.hpp"
#include "pkcs11/card_error.hpp"
#include "pkcs11/module.hpp"

namespace {

using namespace sithsd::daemon;

// The audit log is another sithsd's (audit_lock.hpp): not a failure a restart would mend, so the
// unit's RestartPreventExitStatus= names it.
constexpr int kAuditLogInUse = 3;

// A person typing a PIN holds a card's queue; this many requests may wait behind them (BUSY after).
constexpr std::size_t kCardQueueDepth = 32;
// A notification server answers Notify at once; a desktop that does not is not waited for long.
constexpr std::chrono::seconds kNotifyTimeout{5};

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

// Every connection holds a descriptor: the budgets (PROTOCOL.md "Connection budgets") are what
// limits them, not a soft limit of 1024 that a page's connections would reach first.
void raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    const rlim_t before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) == 0)
        spdlog::info("descriptor limit raised from {} to {}", before, limit.rlim_cur);
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
    bool check_config = false;
    app.add_flag("--check-config", check_config,
                 "validate the configuration and exit (0: usable; 2: the key and the problem)");
    app.set_version_flag("-V,--version", std::string("sithsd ") + SITHSD_VERSION);
    CLI11_PARSE(app, argc, argv);

    const Environment env = Environment::from_process();
    if (check_config) return run_check_config(config_file, env);
    setup_logging();
    Config config;
    try {
        config = load_effective_config(config_file, env);
    } catch (const ConfigError& e) {
        spdlog::error("bad configuration: {}", e.what());
        return 2;
    }

    spdlog::info("sithsd {} starting", SITHSD_VERSION);
    std::signal(SIGPIPE, SIG_IGN);  // a client that goes away must not kill the daemon
    forbid_core_dumps();
    raise_descriptor_limit();
    // Messages of 128 KiB and more get their own pages, given back when freed: without a fixed
    // threshold glibc raises it after the first free, and the memory of a burst of large
    // responses would stay with the process after the clients went.
    ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);

    // First the audit log: a second daemon on it stops here, before it touches a card or a
    // socket; a log found apart from its head is reported before any request is served.
    std::optional<AuditLog> audit;
    try {
        create_private_folder(config.state_dir);  // 0700: remembered consent and the audit log
        audit.emplace(config.audit_log);
    } catch (const AuditLogInUse& e) {
        spdlog::error("{}", e.what());
        return kAuditLogInUse;
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }

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
    options.websocket = config.websocket;
    options.port = config.port;
    options.unix_socket = config.unix_socket;
    options.policy = policy;
    options.limits.idle_timeout = config.idle_timeout;
    options.limits.pools.allowed = config.max_connections;
    options.limits.pools.local = config.max_connections;
    options.idle_exit = config.idle_exit;
    try {
        options.inherited = take_inherited_sockets();
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }

    try {
        // Owned here and passed down, in the order they depend on each other; destroyed in
        // reverse after the server has stopped: queues drain, modules are finalized last.
        CardService cards(modules, /*watch_pcsc=*/true, kCardQueueDepth,
                          config.identification_pin_cache);
        Prompter prompter(config.pinentry, config.prompt_timeout);
        ConsentStore consent(config.state_dir / "origins.json");
        const SystemClock clock;
        Dispatcher dispatcher(config, policy, cards, prompter, *audit, consent, clock);
        std::optional<DesktopReminders> reminders;
        if (config.desktop_reminders)
            reminders.emplace(
                cards, config.state_dir / "reminders.json", config.language,
                [](const std::string& summary, const std::string& body, std::string& error) {
                    return notify_desktop(summary, body, kNotifyTimeout, error);
                });
        cards.start([&dispatcher, &reminders](const auto& before, const auto& after) {
            dispatcher.on_cards_changed(before, after);
            if (reminders) reminders->check(after);
        });
        options.holds_state = [&cards] { return cards.holds_kept_login(); };
        dispatcher.set_socket_activated(options.inherited.activated);
        // The cards already inserted (at most kNotifyTimeout: a bus answers at once).
        if (reminders) reminders->check(cards.cards());
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
