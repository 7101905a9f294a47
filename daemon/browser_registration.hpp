// `sithsctl browsers register|unregister|status`: sithsd in this user's browsers, both ways in.
// - The PKCS#11 module libsithsd-pkcs11.so in the browsers' NSS databases (TLS client login with
//   the browser's own certificate pop-up), as OpenSC's pkcs11-register does (nss_databases.hpp).
// - The native-messaging host manifests of sithsd-native-host (the extension's way in,
//   native_host_manifests.hpp).
// `register` and `unregister` do both unless `--nss` or `--native-host` names one; every line
// says what was found and what was done, in the configured language (Swedish unless the locale
// or `language` says English).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace sithsd::daemon {

class BrowserRegistration {
  public:
    // Adds `browsers` to app (which must already have CtlCommands' --config option).
    explicit BrowserRegistration(CLI::App& app);
    // -1 when no `browsers` command was chosen, else the exit code.
    int run_selected();

  private:
    struct Run;
    CLI::App* app_ = nullptr;
    CLI::App* register_ = nullptr;
    CLI::App* unregister_ = nullptr;
    CLI::App* status_ = nullptr;
    bool only_nss_ = false;
    bool only_native_host_ = false;
    std::string module_path_;
    std::string host_path_;
};

}  // namespace sithsd::daemon
