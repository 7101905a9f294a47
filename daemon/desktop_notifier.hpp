#pragma once
// A desktop notification through org.freedesktop.Notifications on the session bus (the
// Desktop Notifications Specification's Notify), with libsystemd's sd-bus. The bus is the one
// DBUS_SESSION_BUS_ADDRESS names, else $XDG_RUNTIME_DIR/bus (a systemd user session's).
#include <chrono>
#include <string>

namespace sithsd::daemon {

// Sends one notification and waits up to `timeout` for the notification server's answer.
// Returns false with `error` set when there is no bus, no notification server, or no answer.
bool notify_desktop(const std::string& summary, const std::string& body,
                    std::chrono::milliseconds timeout, std::string& error);

}  // namespace sithsd::daemon
