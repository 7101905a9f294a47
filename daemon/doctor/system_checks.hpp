#pragma once
// The checks below the card: the configuration, pcscd, the readers, the PKCS#11 module.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/doctor/check_result.hpp"
#include "pkcs11/module.hpp"
#include "pkcs11/module_info.hpp"
#include "pkcs11/reader_survey.hpp"

namespace sithsd::daemon::doctor {

// file: the config file read (empty: the defaults); error: why it could not be used.
CheckResult check_config(const Situation& s, const std::string& file, const std::string& error);

CheckResult check_pcscd(const Situation& s, const pkcs11::ReaderSurvey& survey);
CheckResult check_readers(const Situation& s, const pkcs11::ReaderSurvey& survey);

// One module candidate as doctor found it.
struct ModuleTry {
    std::string path;
    bool exists = false;
    std::string load_error;                  // empty when it loaded (or was not tried)
    std::optional<pkcs11::ModuleInfo> info;  // C_GetInfo when it loaded
};

// Loads what sithsd would load (main.cpp's rule: configured modules all, else the first
// candidate that exists) and keeps the loaded ones in `loaded` for the card checks.
std::vector<ModuleTry> try_modules(const Config& config,
                                   std::vector<std::shared_ptr<pkcs11::Module>>& loaded);
CheckResult check_modules(const Situation& s, bool configured, const std::vector<ModuleTry>& tries);

}  // namespace sithsd::daemon::doctor
