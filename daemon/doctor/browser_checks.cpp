#include "daemon/doctor/browser_checks.hpp"

#include <unistd.h>

#include <boost/json/parse.hpp>
#include <fstream>
#include <sstream>

#include "browser-bridge/native-host/extension_ids.hpp"
#include "daemon/doctor/run_program.hpp"

namespace sithsd::daemon::doctor {
namespace {

namespace fs = std::filesystem;
constexpr std::chrono::seconds kModutilTimeout{15};

fs::path config_home(const Environment& env) {
    return env.xdg_config_home.empty() ? fs::path(env.home) / ".config"
                                       : fs::path(env.xdg_config_home);
}

NssDatabase nss_database(std::string browser, fs::path folder) {
    NssDatabase db;
    db.browser = std::move(browser);
    db.folder = std::move(folder);
    return db;
}

void add_profiles(const fs::path& root, std::vector<NssDatabase>& out) {
    std::error_code ec;
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
        if (fs::exists(it->path() / "cert9.db", ec))
            out.push_back(nss_database("Firefox", it->path()));
}

}  // namespace

bool find_sithsd_module(const std::string& modutil_output, std::string& library) {
    // modutil -list prints "library name: PATH" for each module.
    std::istringstream lines(modutil_output);
    std::string line;
    while (std::getline(lines, line)) {
        const auto at = line.find("library name:");
        if (at == std::string::npos || line.find("libsithsd-pkcs11.so") == std::string::npos)
            continue;
        library = line.substr(line.find_first_not_of(' ', at + 13));
        return true;
    }
    return false;
}

bool modutil_available() {
    const auto result = run_program({"modutil", "-help"}, kModutilTimeout, 4096);
    return result.has_value();
}

std::vector<NssDatabase> survey_nss(const Environment& env) {
    std::vector<NssDatabase> databases;
    std::error_code ec;
    const fs::path home(env.home);
    if (fs::exists(home / ".pki/nssdb/cert9.db", ec))
        databases.push_back(nss_database("Chromium", home / ".pki/nssdb"));
    add_profiles(home / ".mozilla/firefox", databases);
    add_profiles(home / "snap/firefox/common/.mozilla/firefox", databases);
    for (auto& db : databases) {
        const auto result = run_program({"modutil", "-list", "-dbdir", "sql:" + db.folder.string()},
                                        kModutilTimeout);
        if (!result || result->exit_code != 0) {
            db.error = result ? result->output : "modutil cannot be started";
            continue;
        }
        db.listed = true;
        db.registered = find_sithsd_module(result->output, db.library);
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
    const std::string file = std::string(native_host::host_name) + ".json";
    const fs::path home(env.home);
    const std::vector<fs::path> folders{config_home(env) / "chromium/NativeMessagingHosts",
                                        config_home(env) / "google-chrome/NativeMessagingHosts",
                                        home / ".mozilla/native-messaging-hosts",
                                        "/etc/chromium/native-messaging-hosts",
                                        "/etc/opt/chrome/native-messaging-hosts",
                                        "/usr/lib/mozilla/native-messaging-hosts"};
    std::vector<HostManifest> manifests;
    for (const auto& folder : folders) {
        std::error_code ec;
        if (!fs::exists(folder / file, ec)) continue;
        HostManifest m;
        m.file = folder / file;
        std::ifstream in(m.file);
        std::ostringstream text;
        text << in.rdbuf();
        boost::system::error_code json_error;
        const auto value = boost::json::parse(text.str(), json_error);
        const auto* path =
            !json_error && value.is_object() ? value.as_object().if_contains("path") : nullptr;
        if (!path || !path->is_string()) {
            m.error = "no \"path\"";
        } else {
            m.host_path = path->as_string().c_str();
            m.host_runnable =
                access(m.host_path.c_str(), X_OK) == 0 && fs::is_regular_file(m.host_path, ec);
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
