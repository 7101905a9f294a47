// `sithsctl browsers register --native-host`: writes the native-messaging host manifests of
// sithsd-native-host for this user, so that Chromium, Google Chrome and Firefox let the sithsd
// extension start it. Attaches to a `browsers register` command that another part of sithsctl
// may have made already (the browser PKCS#11 module's registration), else makes it.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace sithsd::daemon {

// Writes se.sithsd.native_host.json for Chromium, Google Chrome and Firefox under `home` (and
// `config_home`, ~/.config unless XDG_CONFIG_HOME says otherwise); returns the files written.
// Throws std::runtime_error when a folder or file cannot be written.
std::vector<std::filesystem::path> register_native_host(const std::filesystem::path& home,
                                                        const std::filesystem::path& config_home,
                                                        const std::filesystem::path& host_path);

class BrowserRegistration {
  public:
    explicit BrowserRegistration(CLI::App& app);
    // -1 when `browsers register --native-host` was not asked for, else the exit code.
    int run_selected();

  private:
    CLI::App* register_ = nullptr;
    bool native_host_ = false;
    std::string host_path_;
};

}  // namespace sithsd::daemon
