#include "daemon/browser_registration.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>

#include "daemon/ctl_commands.hpp"
#include "daemon/native_host_manifests.hpp"
#include "daemon/nss_databases.hpp"

namespace sithsd::daemon {
namespace {

namespace fs = std::filesystem;

// Exit codes: 0 done, 1 a database or file could not be changed, 2 a usage error or a missing
// tool or file (nothing changed).
constexpr int kFailed = 1;
constexpr int kUsage = 2;

fs::path self_dir() {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : self.parent_path();
}

// The installed module (SITHSD_INSTALLED_MODULE: LIBDIR/pkcs11/libsithsd-pkcs11.so, beside OpenSC's),
// else the build tree's (build/daemon/sithsctl, build/browser-bridge/pkcs11-module/…).
fs::path default_module_path() {
    const fs::path bin = self_dir();
    if (bin.empty()) return {};
    const fs::path installed = SITHSD_INSTALLED_MODULE;
    const fs::path built =
        bin.parent_path() / "browser-bridge" / "pkcs11-module" / "libsithsd-pkcs11.so";
    return fs::exists(installed) || !fs::exists(built) ? installed : built;
}

// The installed host: beside this sithsctl (both go to the same bin folder), else the build's.
fs::path default_host_path() {
    const fs::path bin = self_dir();
    if (bin.empty()) return {};
    const fs::path beside = bin / "sithsd-native-host";
    const fs::path built =
        bin.parent_path() / "browser-bridge" / "native-host" / "sithsd-native-host";
    return fs::exists(beside) || !fs::exists(built) ? beside : built;
}

fs::path env_path(const char* name) {
    const char* value = std::getenv(name);
    return value && *value ? fs::path(value) : fs::path();
}

std::string describe(const NssDatabase& db) {
    return db.profile.empty() ? db.browser : db.browser + " \"" + db.profile + "\"";
}

}  // namespace

// One run of a command: the paths, the language, and what was found and done.
struct BrowserRegistration::Run {
    bool sv = true;
    fs::path home, config_home;
    std::set<std::string> running;  // browsers to restart, with their pid
    bool changed = false;           // a module list changed: a running browser must restart
    bool failed = false;

    const char* say(const char* swedish, const char* english) const {
        return sv ? swedish : english;
    }
    void line(const NssDatabase& db, const std::string& what) const {
        std::cout << "  " << describe(db) << ": " << db.dir.string() << "\n    " << what << '\n';
    }
    void note_change(const NssDatabase& db) {
        changed = true;
        if (db.browser_pid)
            running.insert(db.browser + " (pid " + std::to_string(*db.browser_pid) + ")");
    }

    void register_module(const NssTools& tools, const fs::path& module) {
        std::cout << say("Webbläsarmodulen ", "The browser module ") << module.string() << '\n';
        for (const auto& db : find_nss_databases(home, config_home)) {
            try {
                std::string done;
                if (!nss_database_exists(db.dir)) {
                    tools.create_database(db.dir);
                    done = say("databasen skapades, ", "database created, ");
                }
                const auto library = registered_library(db.dir);
                if (library && *library == module.string()) {
                    line(db, say("redan registrerad", "already registered"));
                    continue;
                }
                if (library) tools.delete_module(db.dir);
                tools.add_module(db.dir, module);
                line(db, done + (library ? say("uppdaterad (var ", "updated (was ") + *library + ")"
                                         : say("registrerad", "registered")));
                note_change(db);
            } catch (const std::exception& e) {
                line(db, say("FEL: ", "ERROR: ") + std::string(e.what()));
                failed = true;
            }
        }
        no_firefox_note();
    }

    void unregister_module(const NssTools& tools) {
        std::cout << say("Webbläsarmodulen:\n", "The browser module:\n");
        for (const auto& db : find_nss_databases(home, config_home)) {
            if (!registered_library(db.dir)) {
                line(db, say("inte registrerad", "not registered"));
                continue;
            }
            try {
                tools.delete_module(db.dir);
                line(db, say("avregistrerad", "unregistered"));
                note_change(db);
            } catch (const std::exception& e) {
                line(db, say("FEL: ", "ERROR: ") + std::string(e.what()));
                failed = true;
            }
        }
    }

    void module_status(const fs::path& module) {
        std::cout << say("Webbläsarmodulen:\n", "The browser module:\n");
        for (const auto& db : find_nss_databases(home, config_home)) {
            const auto library = registered_library(db.dir);
            if (!nss_database_exists(db.dir))
                line(db, say("ingen NSS-databas ännu", "no NSS database yet"));
            else if (!library)
                line(db, say("inte registrerad", "not registered"));
            else if (*library == module.string())
                line(db, say("registrerad", "registered"));
            else
                line(db, say("registrerad med en annan fil: ", "registered with another file: ") +
                             *library);
        }
        no_firefox_note();
    }

    void no_firefox_note() const {
        bool firefox = false;
        for (const auto& db : find_nss_databases(home, config_home))
            firefox = firefox || db.browser != "Chromium/Chrome";
        if (!firefox)
            std::cout << say(
                "  Firefox: ingen profil hittades (starta Firefox en gång och kör "
                "kommandot igen)\n",
                "  Firefox: no profile found (start Firefox once, then run this "
                "command again)\n");
    }

    void native_host(bool add, const fs::path& host) {
        std::cout << say("Native messaging-värden", "The native-messaging host")
                  << (add ? " " + host.string() : std::string()) << (add ? "\n" : ":\n");
        try {
            const auto changed = add ? register_native_host(home, config_home, host)
                                     : unregister_native_host(home, config_home);
            for (const auto& path : changed)
                std::cout << "  " << (add ? say("skrev ", "wrote ") : say("tog bort ", "removed "))
                          << path.string() << '\n';
            if (changed.empty()) std::cout << say("  inga manifest fanns\n", "  no manifests\n");
        } catch (const std::exception& e) {
            std::cout << "  " << say("FEL: ", "ERROR: ") << e.what() << '\n';
            failed = true;
        }
    }

    void native_host_status() const {
        std::cout << say("Native messaging-värden:\n", "The native-messaging host:\n");
        for (const auto& path : native_host_manifest_paths(home, config_home)) {
            const auto host = manifest_host(path);
            std::cout << "  " << path.string() << "\n    "
                      << (host ? say("finns, pekar på ", "present, names ") + *host
                               : std::string(say("saknas", "missing")))
                      << '\n';
        }
    }

    void restart_note() const {
        if (!changed) return;
        if (running.empty()) {
            std::cout << say(
                "Starta om webbläsarna om de är igång: en webbläsare läser sin "
                "modullista när den startar.\n",
                "Restart the browsers if they are running: a browser reads its "
                "module list when it starts.\n");
            return;
        }
        std::cout << say("Starta om ", "Restart ");
        bool first = true;
        for (const auto& r : running) std::cout << (first ? "" : ", ") << r, first = false;
        std::cout << say(": en webbläsare läser sin modullista när den startar.\n",
                         ": a browser reads its module list when it starts.\n");
    }
};

BrowserRegistration::BrowserRegistration(CLI::App& app) : app_(&app) {
    auto* browsers = app.add_subcommand("browsers", "sithsd in this user's browsers");
    browsers->require_subcommand(1);
    register_ = browsers->add_subcommand(
        "register",
        "add the PKCS#11 module to the browsers' NSS databases and install the "
        "native-messaging host manifests");
    unregister_ = browsers->add_subcommand("unregister", "undo register");
    status_ =
        browsers->add_subcommand("status", "what is registered, per NSS database and manifest");
    for (auto* cmd : {register_, unregister_}) {
        auto* nss = cmd->add_flag("--nss", only_nss_, "only the PKCS#11 module (NSS databases)");
        cmd->add_flag("--native-host", only_native_host_,
                      "only the native-messaging host manifests")
            ->excludes(nss);
    }
    for (auto* cmd : {register_, status_})
        cmd->add_option(
            "--module", module_path_,
            "libsithsd-pkcs11.so to register (default: the one installed with sithsctl)");
    register_->add_option("--host-path", host_path_,
                          "sithsd-native-host to register (default: beside sithsctl)");
}

int BrowserRegistration::run_selected() {
    if (!register_->parsed() && !unregister_->parsed() && !status_->parsed()) return -1;
    Run run;
    try {
        std::string config_file;
        if (auto* option = app_->get_option_no_throw("--config"); option && option->count())
            config_file = option->as<std::string>();
        run.sv = load_ctl_config(config_file).language != "en";
    } catch (const std::exception&) {
        // A broken configuration is sithsd's business (sithsctl status says it); Swedish here.
    }
    run.home = env_path("HOME");
    if (run.home.empty()) {
        std::cerr << "sithsctl: " << run.say("HOME är inte satt", "HOME is not set") << '\n';
        return kUsage;
    }
    run.config_home = env_path("XDG_CONFIG_HOME");
    if (run.config_home.empty()) run.config_home = run.home / ".config";

    const bool nss = status_->parsed() || !only_native_host_;
    const bool host = status_->parsed() || !only_nss_;
    const fs::path module =
        fs::absolute(module_path_.empty() ? default_module_path() : fs::path(module_path_));
    const fs::path host_path =
        fs::absolute(host_path_.empty() ? default_host_path() : fs::path(host_path_));
    // Every check before the first change: a usage error changes nothing.
    std::optional<NssTools> tools;
    if (nss && !status_->parsed()) {
        tools = NssTools::find();
        if (!tools) {
            std::cerr << "sithsctl: "
                      << run.say(
                             "modutil och certutil saknas (NSS verktyg): installera "
                             "libnss3-tools (apt-get install libnss3-tools)",
                             "modutil and certutil are missing (NSS tools): install "
                             "libnss3-tools (apt-get install libnss3-tools)")
                      << '\n';
            return kUsage;
        }
    }
    if (register_->parsed() && nss && !fs::is_regular_file(module)) {
        std::cerr << "sithsctl: " << run.say("ingen webbläsarmodul ", "no browser module ")
                  << module << run.say(" (ange --module)", " (give --module)") << '\n';
        return kUsage;
    }
    if (register_->parsed() && host && ::access(host_path.c_str(), X_OK) != 0) {
        std::cerr << "sithsctl: " << run.say("ingen sithsd-native-host ", "no sithsd-native-host ")
                  << host_path << run.say(" (ange --host-path)", " (give --host-path)") << '\n';
        return kUsage;
    }

    if (status_->parsed()) {
        run.module_status(module);
        run.native_host_status();
        return 0;
    }
    const bool add = register_->parsed();
    if (nss) add ? run.register_module(*tools, module) : run.unregister_module(*tools);
    if (host) run.native_host(add, host_path);
    run.restart_note();
    return run.failed ? kFailed : 0;
}

}  // namespace sithsd::daemon
