#include "daemon/desktop_notifier.hpp"

#include <systemd/sd-bus.h>

#include <cstdint>
#include <cstring>
#include <memory>

namespace sithsd::daemon {
namespace {

// sd-bus objects with their unref as the deleter.
struct BusDeleter {
    void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};
struct MessageDeleter {
    void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};

bool fail(std::string& error, const char* what, int rv) {
    error = std::string(what) + ": " + std::strerror(-rv);
    return false;
}

}  // namespace

bool notify_desktop(const std::string& summary, const std::string& body,
                    std::chrono::milliseconds timeout, std::string& error) {
    sd_bus* raw = nullptr;
    int rv = sd_bus_open_user(&raw);
    if (rv < 0) return fail(error, "no session bus", rv);
    std::unique_ptr<sd_bus, BusDeleter> bus(raw);
    sd_bus_set_method_call_timeout(bus.get(), static_cast<std::uint64_t>(timeout.count()) * 1000);

    sd_bus_error bus_error = SD_BUS_ERROR_NULL;
    sd_bus_message* reply_raw = nullptr;
    // Notify(app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout):
    // no actions, no hints, the server's default timeout (-1).
    rv = sd_bus_call_method(bus.get(), "org.freedesktop.Notifications",
                            "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
                            "Notify", &bus_error, &reply_raw, "susssasa{sv}i", "sithsd", 0u,
                            "security-high", summary.c_str(), body.c_str(), 0, 0, -1);
    std::unique_ptr<sd_bus_message, MessageDeleter> reply(reply_raw);
    if (rv < 0) {
        error = bus_error.message ? bus_error.message : std::strerror(-rv);
        sd_bus_error_free(&bus_error);
        return false;
    }
    return true;
}

}  // namespace sithsd::daemon
