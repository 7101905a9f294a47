#pragma once
// The NSS databases of this user's browsers, and libsithsd-pkcs11.so in them, for
// `sithsctl browsers register|unregister|status` (what OpenSC's pkcs11-register does for its
// module): Chromium and Google Chrome share ~/.pki/nssdb; Firefox has one database per profile,
// the profiles listed in profiles.ini (~/.mozilla/firefox, and the Snap package's
// ~/snap/firefox/common/.mozilla/firefox). Changes go through NSS's own modutil; what is
// registered is read from the database's pkcs11.txt (NSS's sql: module list), so that looking
// loads no module.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sithsd::daemon {

// The name of our module in every NSS database (Firefox shows it under Security Devices).
inline constexpr const char* kNssModuleName = "sithsd";

struct NssDatabase {
    std::string browser;             // "Chromium/Chrome", "Firefox", "Firefox (Snap)"
    std::string profile;             // the Firefox profile's Name=, else empty
    std::filesystem::path dir;       // the folder that holds (or will hold) cert9.db
    std::optional<int> browser_pid;  // the browser that has this profile open, when known
};

// Chromium's database always (it may not exist yet), then each Firefox profile found.
std::vector<NssDatabase> find_nss_databases(const std::filesystem::path& home,
                                            const std::filesystem::path& config_home);

// True when dir holds an sql: NSS database (cert9.db and pkcs11.txt).
bool nss_database_exists(const std::filesystem::path& dir);

// The library our module is registered with in dir, or nothing.
std::optional<std::string> registered_library(const std::filesystem::path& dir);

// NSS's tools, found in PATH (libnss3-tools). Each call throws std::runtime_error with the tool's
// own output when it fails.
class NssTools {
  public:
    // Nothing when modutil or certutil is not in PATH.
    static std::optional<NssTools> find();
    // An empty database with no password (as a browser makes on its first start).
    void create_database(const std::filesystem::path& dir) const;
    void add_module(const std::filesystem::path& dir, const std::filesystem::path& library) const;
    void delete_module(const std::filesystem::path& dir) const;

  private:
    std::filesystem::path modutil_, certutil_;
};

}  // namespace sithsd::daemon
