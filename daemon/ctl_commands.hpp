#pragma once
// sithsctl's commands that talk to a running sithsd over its Unix socket (status, cards, certs,
// authenticate, sign, change-pin, unblock-pin) or read its state (origins, audit verify).
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "daemon/config.hpp"

namespace sithsd::daemon {

// The daemon's configuration as sithsd would read it (for the socket, state and audit paths and
// the language): config_file, else the default file when there is one, else the defaults.
Config load_ctl_config(const std::string& config_file);

// Adds the commands to app; after parsing, run_selected() runs the one chosen and returns its exit
// code, or -1 when none of them was chosen.
class CtlCommands {
  public:
    explicit CtlCommands(CLI::App& app);
    int run_selected();

  private:
    struct Options;
    std::shared_ptr<Options> options_;
    std::vector<std::pair<CLI::App*, std::function<int()>>> commands_;
};

}  // namespace sithsd::daemon
