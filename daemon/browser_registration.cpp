#include "daemon/browser_registration.hpp"

#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <iostream>

#include "browser-bridge/native-host/extension_ids.hpp"
#include "daemon/atomic_file.hpp"

namespace sithsd::daemon {
namespace {

namespace fs = std::filesystem;

std::string manifest(const fs::path& host_path, bool firefox) {
    boost::json::object m{{"name", native_host::host_name},
                          {"description", "sithsd native-messaging host"},
                          {"path", host_path.string()},
                          {"type", "stdio"}};
    if (firefox)
        m["allowed_extensions"] = boost::json::array{native_host::firefox_extension_id};
    else
        m["allowed_origins"] = boost::json::array{
            "chrome-extension://" + std::string(native_host::chromium_extension_id) + "/"};
    return boost::json::serialize(m) + "\n";
}

// The installed host: beside this sithsctl (both go to the same bin folder).
fs::path default_host_path() {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : self.parent_path() / "sithsd-native-host";
}

fs::path env_path(const char* name) {
    const char* value = std::getenv(name);
    return value && *value ? fs::path(value) : fs::path();
}

}  // namespace

std::vector<fs::path> register_native_host(const fs::path& home, const fs::path& config_home,
                                           const fs::path& host_path) {
    const std::string file = std::string(native_host::host_name) + ".json";
    const std::vector<std::pair<fs::path, bool>> folders{
        {config_home / "chromium" / "NativeMessagingHosts", false},
        {config_home / "google-chrome" / "NativeMessagingHosts", false},
        {home / ".mozilla" / "native-messaging-hosts", true}};
    std::vector<fs::path> written;
    for (const auto& [folder, firefox] : folders) {
        std::error_code ec;
        fs::create_directories(folder, ec);
        if (ec) throw std::runtime_error("cannot make " + folder.string() + ": " + ec.message());
        write_file_atomically(folder / file, manifest(host_path, firefox), 0644);
        written.push_back(folder / file);
    }
    return written;
}

BrowserRegistration::BrowserRegistration(CLI::App& app) {
    CLI::App* browsers = nullptr;
    try {
        browsers = app.get_subcommand("browsers");
    } catch (const CLI::OptionNotFound&) {
        browsers = app.add_subcommand("browsers", "register sithsd with this user's browsers");
        browsers->require_subcommand(1);
    }
    try {
        register_ = browsers->get_subcommand("register");
    } catch (const CLI::OptionNotFound&) {
        register_ = browsers->add_subcommand("register", "register sithsd with the browsers");
    }
    register_->add_flag(
        "--native-host", native_host_,
        "install the host manifests of sithsd-native-host (the extension's way in)");
    register_->add_option("--host-path", host_path_,
                          "sithsd-native-host to register (default: beside sithsctl)");
}

int BrowserRegistration::run_selected() {
    if (!register_->parsed()) return -1;
    if (!native_host_) {
        std::cerr << "sithsctl: say what to register (--native-host)\n";
        return 2;
    }
    const fs::path home = env_path("HOME");
    if (home.empty()) {
        std::cerr << "sithsctl: HOME is not set\n";
        return 2;
    }
    fs::path config_home = env_path("XDG_CONFIG_HOME");
    if (config_home.empty()) config_home = home / ".config";
    const fs::path host = host_path_.empty() ? default_host_path() : fs::path(host_path_);
    if (host.empty() || ::access(host.c_str(), X_OK) != 0) {
        std::cerr << "sithsctl: no sithsd-native-host at " << host << " (give --host-path)\n";
        return 2;
    }
    try {
        for (const auto& path : register_native_host(home, config_home, fs::absolute(host)))
            std::cout << path.string() << '\n';
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "sithsctl: " << e.what() << '\n';
        return 1;
    }
}

}  // namespace sithsd::daemon
