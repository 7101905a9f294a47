#pragma once
// Whether sithsd runs: its Unix socket answers `status`, and its WebSocket port accepts; which
// of its socket units are enabled (for this user, or for every user with --global).
#include <optional>
#include <string>

#include "daemon/config.hpp"
#include "daemon/doctor/check_result.hpp"

namespace sithsd::daemon::doctor {

struct DaemonProbe {
    bool answered = false;  // `status` answered over the Unix socket
    std::string version;
    std::string error;       // why not
    bool port_open = false;  // something accepts on 127.0.0.1:port
    // Socket activation (issue 15, point 2): nullopt until the daemon says; the daemon's status
    // answer will carry "socketActivated" and the user unit sithsd.socket shows it is set up.
    std::optional<bool> socket_activated;
    bool socket_unit_enabled = false;
    bool websocket_unit_enabled =
        false;  // sithsd-websocket.socket (the port; not on terminal servers)
};

DaemonProbe probe_daemon(const Config& config, const Environment& env);
CheckResult check_daemon(const Situation& s, const Config& config, const DaemonProbe& probe);

}  // namespace sithsd::daemon::doctor
