// The daemon's TOML configuration (PROTOCOL.md "Running the daemon"): every key with its default,
// unknown keys and bad values refused with a message that names the key.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/origin.hpp"

namespace sithsd::daemon {

// What the defaults depend on, read once by main() (no getenv deeper down).
struct Environment {
    std::string home;             // $HOME
    std::string xdg_runtime_dir;  // $XDG_RUNTIME_DIR, empty when unset
    std::string xdg_state_home;   // $XDG_STATE_HOME, empty when unset
    std::string xdg_config_home;  // $XDG_CONFIG_HOME, empty when unset
    std::string locale;           // the first set of $LC_ALL, $LC_MESSAGES, $LANG
    std::string sithsd_config;    // $SITHSD_CONFIG: the config file when --config is not given
    unsigned uid = 0;

    static Environment from_process();
};

struct Config {
    // false: no WebSocket at all (a terminal server, where one loopback port is shared by every
    // user's pages): pages come only through the browser extension's native host.
    bool websocket = true;
    std::uint16_t port = 24891;
    std::filesystem::path unix_socket;  // default from Environment
    // Configured: every module is loaded. Default: the first candidate found (Net iD, then OpenSC).
    std::vector<std::filesystem::path> modules;
    bool modules_configured = false;
    std::string pinentry = "pinentry";
    protocol::OriginList allowed_origins;
    protocol::OriginList denied_origins;
    bool prompt_unknown_origins = true;
    std::chrono::seconds identification_pin_cache{0};  // 0..3600
    std::chrono::seconds prompt_timeout{120};
    std::uint32_t max_connections = 256;
    std::filesystem::path state_dir;
    std::filesystem::path audit_log;
    std::string language;  // "sv" or "en"
    // Not in PROTOCOL.md's table yet (proposed): a connection with no message in either
    // direction for this long is closed. Longer than a prompt (120 s) by default.
    std::chrono::seconds idle_timeout{600};
    // Not in PROTOCOL.md's table yet (proposed): authenticate and sign requests one web origin may
    // make in a minute before RATE_LIMITED (a person makes far fewer); 0 = no limit (benchmarks).
    std::uint32_t rate_limit_per_minute = 120;
    // What the browser's PKCS#11 module offers for TLS login: HSA-ID identification certificates
    // only (what the portals tell people to pick), or every identification certificate.
    bool browser_all_certificates = false;  // browser_certificates = "hsaId" | "all"
    // Programs besides the known browsers (daemon/browser_programs.*) that moduleSign serves, by
    // their executable as /proc/PID/exe names it.
    std::vector<std::filesystem::path> browser_programs;
    // Started by sithsd.socket: stop after this long with no client and no kept login (0: never).
    std::chrono::seconds idle_exit{300};
    // Desktop notifications 90, 30 and 7 days before a certificate on an inserted card ends.
    bool desktop_reminders = true;
};

class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The defaults alone.
[[nodiscard]] Config default_config(const Environment& env);
// Parses TOML text; `source` names it in error messages. Throws ConfigError.
[[nodiscard]] Config parse_config(std::string_view text, const Environment& env,
                                  std::string_view source = "config");
// Reads and parses a file. Throws ConfigError (also when the file cannot be read).
[[nodiscard]] Config load_config(const std::filesystem::path& file, const Environment& env);
// Where sithsd looks for its config when --config is not given: $XDG_CONFIG_HOME/sithsd/sithsd.toml
// (or ~/.config/sithsd/sithsd.toml); used only when it exists.
[[nodiscard]] std::filesystem::path default_config_path(const Environment& env);
// The system-wide config the package installs (commented defaults), read when the user has none.
inline const std::filesystem::path kSystemConfigPath = "/etc/sithsd/sithsd.toml";
// The config file to read when --config is not given: the user's, else the system's; none when
// neither exists (the defaults then apply).
[[nodiscard]] std::optional<std::filesystem::path> find_config_file(const Environment& env);
// The configuration sithsd and sithsctl both read: --config FILE, else $SITHSD_CONFIG, else the
// user's or the system's file (find_config_file), else the defaults alone. Throws ConfigError.
[[nodiscard]] Config load_effective_config(const std::string& config_flag, const Environment& env);

}  // namespace sithsd::daemon
