#pragma once
// `sithsctl doctor [--config F] [--report] [--json] [--language sv|en]`: "Varför kan jag inte
// logga in?" One line per check; exit 1 when something blocks login, 0 otherwise.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/doctor/check_result.hpp"

namespace sithsd::daemon::doctor {

struct DoctorRun {
    Say say;  // the language the results were written in
    std::vector<CheckResult> results;
};

// Runs every check in order, as the person's own user. language: "sv", "en", or empty for the
// config's.
DoctorRun run_checks(const std::string& config_file, const Environment& env, bool report,
                     const std::string& language);

class DoctorCommand {
  public:
    explicit DoctorCommand(CLI::App& app);
    // -1 when `doctor` was not chosen, else the exit code.
    int run_selected();

  private:
    CLI::App* command_ = nullptr;
    std::string config_file_, language_;
    bool report_ = false, json_ = false;
};

}  // namespace sithsd::daemon::doctor
