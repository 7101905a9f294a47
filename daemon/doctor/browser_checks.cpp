#include "daemon/doctor/browser_checks.hpp"

#include <unistd.h>

#include "daemon/native_host_manifests.hpp"
#include "daemon/nss_databases.hpp"
#include "daemon/tool_runner.hpp"

namespace sithsd::daemon::doctor {
namespace {

namespace fs = std::filesystem;

fs::path config_home(const Environment& env) {
    return env.xdg_config_home.empty() ? fs::path(env.home) / ".config"
                                       : fs::path(env.xdg_config_home);
}

}  // namespace

bool modutil_available() {
    return find_in_path("modutil").has_value();
}

// The databases `sithsctl browsers register` writes to, read the way it reads them (pkcs11.txt:
// no modutil run, no module loaded). A database the browser has not made yet is left out.
std::vector<NssDatabase> survey_nss(const Environment& env) {
    std::vector<NssDatabase> databases;
    for (const auto& found : find_nss_databases(env.home, config_home(env))) {
        if (!nss_database_exists(found.dir)) continue;
        NssDatabase db;
        db.browser = found.browser;
        db.folder = found.dir;
        db.listed = true;
        if (auto library = registered_library(found.dir)) {
            db.registered = true;
            db.library = *library;
        }
        databases.push_back(std::move(db));
    }
    return databases;
}

CheckResult check_nss(const Situation& s, const std::vector<NssDatabase>& databases,
                      bool modutil_found) {
    CheckResult r;
    r.id = "nss";
    boost::json::array list;
    std::string registered, missing;
    for (const auto& db : databases) {
        const std::string name = db.browser + " (" + db.folder.string() + ")";
        std::error_code ec;
        const bool library_ok = db.registered && fs::exists(db.library, ec);
        list.push_back({{"browser", db.browser},
                        {"database", db.folder.string()},
                        {"registered", db.registered},
                        {"library", db.library},
                        {"libraryExists", library_ok}});
        if (library_ok)
            registered += (registered.empty() ? "" : ", ") + name;
        else
            missing += (missing.empty() ? "" : ", ") + name;
        r.details.push_back(
            name + ": " +
            (library_ok ? s.say("registrerad", "registered") + " (" + db.library + ")"
             : db.registered
                 ? s.say("registrerad men filen saknas: ", "registered but the file is missing: ") +
                       db.library
             : db.listed ? s.say("inte registrerad", "not registered")
                         : s.say("kan inte läsas: ", "cannot be read: ") + db.error));
    }
    r.data = {{"databases", list}, {"modutil", modutil_found}};
    const std::string fix =
        s.say("Registrera modulen: sithsctl browsers register (stäng webbläsaren först).",
              "Register the module: sithsctl browsers register (close the browser first).");
    if (!modutil_found) {
        r.outcome = Outcome::warning;
        r.text = s.say("Webbläsarmodulen kan inte kontrolleras: modutil saknas",
                       "The browser module cannot be checked: modutil is missing");
        r.advice = "sudo apt install libnss3-tools";
    } else if (databases.empty()) {
        r.outcome = Outcome::warning;
        r.text = s.say("Ingen webbläsarprofil (NSS-databas) hittades",
                       "No browser profile (NSS database) found");
        r.advice = s.say("Starta webbläsaren en gång, sedan: sithsctl browsers register.",
                         "Start the browser once, then: sithsctl browsers register.");
    } else if (registered.empty()) {
        r.outcome = Outcome::failed;
        r.text = s.say("Webbläsarmodulen är inte registrerad i: ",
                       "The browser module is not registered in: ") +
                 missing;
        r.advice = fix;
    } else {
        r.text =
            s.say("Webbläsarmodulen är registrerad i: ", "The browser module is registered in: ") +
            registered;
        if (!missing.empty()) {
            r.outcome = Outcome::warning;
            r.text += s.say("; saknas i: ", "; missing in: ") + missing;
            r.advice = fix;
        }
    }
    return r;
}

std::vector<HostManifest> survey_native_host(const Environment& env) {
    // The user's (where `sithsctl browsers register` writes them), then the system's.
    std::vector<fs::path> files = native_host_manifest_paths(env.home, config_home(env));
    const std::string file = files.front().filename().string();
    for (const char* folder :
         {"/etc/chromium/native-messaging-hosts", "/etc/opt/chrome/native-messaging-hosts",
          "/usr/lib/mozilla/native-messaging-hosts"})
        files.push_back(fs::path(folder) / file);
    std::vector<HostManifest> manifests;
    for (const auto& path : files) {
        std::error_code ec;
        if (!fs::exists(path, ec)) continue;
        HostManifest m;
        m.file = path;
        if (auto host = manifest_host(path)) {
            m.host_path = *host;
            m.host_runnable =
                access(m.host_path.c_str(), X_OK) == 0 && fs::is_regular_file(m.host_path, ec);
        } else {
            m.error = "no \"path\"";
        }
        manifests.push_back(std::move(m));
    }
    return manifests;
}

CheckResult check_native_host(const Situation& s, const std::vector<HostManifest>& manifests) {
    CheckResult r;
    r.id = "nativeHost";
    boost::json::array list;
    int good = 0;
    for (const auto& m : manifests) {
        list.push_back(
            {{"manifest", m.file.string()}, {"host", m.host_path}, {"runnable", m.host_runnable}});
        if (m.host_runnable) ++good;
        r.details.push_back(m.file.string() + " → " +
                            (!m.error.empty() ? m.error
                             : m.host_runnable
                                 ? m.host_path
                                 : m.host_path + s.say(" (saknas eller är inte körbar)",
                                                       " (missing or not executable)")));
    }
    r.data = {{"manifests", list}};
    const std::string fix =
        s.say("Installera värdprogrammet: sithsctl browsers register --native-host.",
              "Install the host: sithsctl browsers register --native-host.");
    if (manifests.empty()) {
        r.outcome = Outcome::failed;
        r.text = s.say("Tilläggets värdprogram är inte installerat (inget manifest)",
                       "The extension's host is not installed (no manifest)");
        r.advice = fix;
    } else if (good == 0) {
        r.outcome = Outcome::failed;
        r.text = s.say("Tilläggets värdprogram saknas eller är inte körbart",
                       "The extension's host is missing or not executable");
        r.advice = fix;
    } else {
        r.text = s.say("Tilläggets värdprogram: ", "The extension's host: ") +
                 std::to_string(good) +
                 s.say(" manifest, programmet finns", " manifests, the program exists");
        if (good < static_cast<int>(manifests.size())) {
            r.outcome = Outcome::warning;
            r.advice = fix;
        }
    }
    return r;
}

}  // namespace sithsd::daemon::doctor
