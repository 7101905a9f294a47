#include "daemon/doctor/daemon_check.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "daemon/local_client.hpp"

namespace sithsd::daemon::doctor {
namespace {

constexpr std::chrono::seconds kTimeout{3};

bool tcp_accepts(std::uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Loopback: a refused or accepted connect is immediate, no deadline needed.
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return ok;
}

// `systemctl --user enable UNIT` links the unit into sockets.target.wants (`--global` does it in
// /etc/systemd/user for every user).
bool socket_unit_enabled(const Environment& env, const std::string& unit) {
    const std::filesystem::path base = env.xdg_config_home.empty()
                                           ? std::filesystem::path(env.home) / ".config"
                                           : std::filesystem::path(env.xdg_config_home);
    std::error_code ec;
    for (const auto& folder : {base / "systemd/user", std::filesystem::path("/etc/systemd/user")})
        if (std::filesystem::exists(folder / "sockets.target.wants" / unit, ec)) return true;
    return false;
}

}  // namespace

DaemonProbe probe_daemon(const Config& config, const Environment& env) {
    DaemonProbe probe;
    probe.socket_unit_enabled = socket_unit_enabled(env, "sithsd.socket");
    probe.websocket_unit_enabled = socket_unit_enabled(env, "sithsd-websocket.socket");
    try {
        LocalClientOptions options;
        options.max_kept_notifications = 0;
        auto client = LocalClient::connect(config.unix_socket, kTimeout, options);
        auto answer = client.call("status", {}, kTimeout);
        if (answer.ok() && answer.result.is_object()) {
            probe.answered = true;
            const auto& result = answer.result.as_object();
            if (const auto* v = result.if_contains("version"); v && v->is_string())
                probe.version = v->as_string().c_str();
            if (const auto* v = result.if_contains("socketActivated"); v && v->is_bool())
                probe.socket_activated = v->as_bool();
        } else {
            probe.error = answer.error ? answer.error->message : "no status";
        }
    } catch (const LocalClientError& e) {
        probe.error = e.what();
    }
    probe.port_open = tcp_accepts(config.port);
    return probe;
}

CheckResult check_daemon(const Situation& s, const Config& config, const DaemonProbe& probe) {
    CheckResult r;
    r.id = "daemon";
    const std::string port = std::to_string(config.port);
    r.data = {{"running", probe.answered},
              {"socket", config.unix_socket.string()},
              {"port", config.port},
              {"portOpen", probe.port_open},
              {"version", probe.version},
              {"socketUnitEnabled", probe.socket_unit_enabled},
              {"websocketUnitEnabled", probe.websocket_unit_enabled}};
    if (probe.socket_activated) r.data["socketActivated"] = *probe.socket_activated;
    r.details.push_back(s.say("uttag: ", "socket: ") + config.unix_socket.string());
    r.details.push_back("port: " + port +
                        (probe.port_open ? s.say(" (svarar)", " (answers)")
                                         : s.say(" (svarar inte)", " (does not answer)")));
    r.details.push_back(
        s.say("uttagsaktivering (sithsd.socket): ", "socket activation (sithsd.socket): ") +
        (probe.socket_unit_enabled ? s.say("på", "on") : s.say("av", "off")));
    r.details.push_back(s.say("webbsidornas port (sithsd-websocket.socket): ",
                              "the web pages' port (sithsd-websocket.socket): ") +
                        (probe.websocket_unit_enabled ? s.say("på", "on") : s.say("av", "off")));
    if (!probe.answered) {
        r.outcome = Outcome::failed;
        r.blocks_login = true;
        r.text = s.say("sithsd körs inte (", "sithsd is not running (") + probe.error + ")";
        r.advice = s.say(
            "Starta den: systemctl --user enable --now sithsd.socket (eller sithsd "
            "--config FIL).",
            "Start it: systemctl --user enable --now sithsd.socket (or sithsd "
            "--config FILE).");
        return r;
    }
    r.text = "sithsd " + probe.version + s.say(" körs", " is running");
    if (!probe.port_open) {
        r.outcome = Outcome::warning;
        r.text +=
            s.say(", men port ", ", but port ") + port + s.say(" svarar inte", " does not answer");
        r.advice = s.say(
            "Webbsidor når sithsd bara genom tillägget. Ensam användare på datorn: systemctl "
            "--user enable --now sithsd-websocket.socket; se annars i loggen (journalctl --user "
            "-u sithsd) om porten är upptagen.",
            "Web pages reach sithsd through the extension only. The only user of this computer: "
            "systemctl --user enable --now sithsd-websocket.socket; else see the log (journalctl "
            "--user -u sithsd) whether the port is taken.");
    }
    return r;
}

}  // namespace sithsd::daemon::doctor
