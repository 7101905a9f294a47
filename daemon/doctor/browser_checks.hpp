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
    bool listed = false;           // modutil answered
    bool registered = false;       // the sithsd module is among its modules
    std::string library;           // the module's library path as registered
    std::string error;             // modutil's failure
};

// ~/.pki/nssdb and every Firefox profile with a cert9.db (also Snap's), asked with modutil.
std::vector<NssDatabase> survey_nss(const Environment& env);
// modutil -list output: whether a module whose library is libsithsd-pkcs11.so is listed (and
// where).
bool find_sithsd_module(const std::string& modutil_output, std::string& library);
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
