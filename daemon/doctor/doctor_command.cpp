#include "daemon/doctor/doctor_command.hpp"

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <iostream>

#include "daemon/doctor/audit_check.hpp"
#include "daemon/doctor/browser_checks.hpp"
#include "daemon/doctor/card_checks.hpp"
#include "daemon/doctor/daemon_check.hpp"
#include "daemon/doctor/doctor_output.hpp"
#include "daemon/doctor/system_checks.hpp"
#include "pkcs11/card_set.hpp"

namespace sithsd::daemon::doctor {

DoctorRun run_checks(const std::string& config_file, const Environment& env, bool report,
                     const std::string& language) {
    // The config sithsd would read; when it is broken, the defaults for the other checks.
    Config config = default_config(env);
    std::string file = config_file, error;
    if (file.empty() && std::filesystem::exists(default_config_path(env)))
        file = default_config_path(env).string();
    try {
        if (!file.empty()) config = load_config(file, env);
    } catch (const ConfigError& e) {
        error = e.what();
    }
    Situation s{Say{(language.empty() ? config.language : language) == "en"}, report,
                std::chrono::system_clock::now()};

    std::vector<CheckResult> results;
    results.push_back(check_config(s, file, error));
    const auto survey = pkcs11::survey_readers();
    results.push_back(check_pcscd(s, survey));
    results.push_back(check_readers(s, survey));

    std::vector<std::shared_ptr<pkcs11::Module>> modules;
    const auto tries = try_modules(config, modules);
    results.push_back(check_modules(s, config.modules_configured, tries));
    std::vector<pkcs11::CardInfo> cards;
    if (!modules.empty()) {
        pkcs11::CardSet set(modules);
        set.refresh();
        cards = set.cards();
    }
    results.push_back(check_card_present(s, !modules.empty(), cards, survey));
    results.push_back(check_certificates(s, cards));
    results.push_back(check_pins(s, cards));

    results.push_back(check_daemon(s, config, probe_daemon(config, env)));
    results.push_back(check_audit(s, survey_audit(config.audit_log)));
    const bool modutil = modutil_available();
    results.push_back(
        check_nss(s, modutil ? survey_nss(env) : std::vector<NssDatabase>{}, modutil));
    results.push_back(check_native_host(s, survey_native_host(env)));
    return {s.say, std::move(results)};
}

DoctorCommand::DoctorCommand(CLI::App& app) {
    command_ =
        app.add_subcommand("doctor", "why can I not log in? checks every step, says what to do");
    command_->add_option("-c,--config", config_file_, "sithsd's TOML configuration file")
        ->check(CLI::ExistingFile);
    command_->add_flag("--report", report_,
                       "a text to send to support: versions, and no PIN and no personal number");
    command_->add_flag("--json", json_, "the results as JSON");
    command_->add_option("--language", language_, "sv or en (default: the config's language)")
        ->check(CLI::IsMember({"sv", "en"}));
}

int DoctorCommand::run_selected() {
    if (!*command_) return -1;
    const auto run = run_checks(config_file_, Environment::from_process(), report_, language_);
    if (json_)
        std::cout << boost::json::serialize(render_json(run.results)) << '\n';
    else
        std::cout << (report_ ? render_report(run.say, run.results)
                              : render_text(run.say, run.results));
    return login_blocked(run.results) ? 1 : 0;
}

}  // namespace sithsd::daemon::doctor
