#pragma once
// `sithsd --check-config [--config F]`: reads the config sithsd would read, says whether it is
// usable, and exits: 0 and "FILE: ok", or 2 and the key and the problem on stderr.
#include <string>

#include "daemon/config.hpp"

namespace sithsd::daemon {

// Beyond parse_config's checks: what only the machine can tell (a configured module that is not
// there). Throws ConfigError naming the key.
void check_config_on_machine(const Config& config, const std::string& source);

int run_check_config(const std::string& config_file, const Environment& env);

}  // namespace sithsd::daemon
