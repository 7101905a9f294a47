#pragma once
// The browser's two ways to sithsd: the PKCS#11 module in the NSS databases (TLS login), and the
// native-messaging host of the extension (web pages' login and signature).
#include <filesystem>
#include <string>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/doctor/check_result.hpp"

namespace sithsd::daemon::doctor {

struct NssDatabase {
    std::string browser;           // "Chromium", "Firefox"
    std::filesystem::path folder;  // the sql: database folder
    bool listed = false;           // its module list could be read
    bool registered = false;       // the sithsd module is among its modules
    std::string library;           // the module's library path as registered
    std::string error;             // why its module list could not be read
};

// The NSS databases `sithsctl browsers register` knows (nss_databases.hpp) that exist, with our
// module as their pkcs11.txt lists it.
std::vector<NssDatabase> survey_nss(const Environment& env);
CheckResult check_nss(const Situation& s, const std::vector<NssDatabase>& databases,
                      bool modutil_found);
bool modutil_available();

struct HostManifest {
    std::filesystem::path file;
    std::string host_path;  // the manifest's "path"
    bool host_runnable = false;
    std::string error;  // the manifest cannot be read
};

std::vector<HostManifest> survey_native_host(const Environment& env);
CheckResult check_native_host(const Situation& s, const std::vector<HostManifest>& manifests);

}  // namespace sithsd::daemon::doctor
