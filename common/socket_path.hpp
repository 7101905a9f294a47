// Where sithsd's Unix socket is, defined once for the daemon and every client (sithsctl, the
// native-messaging host, the browser module, libsithsd-client and so other people's programs).
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace sithsd {

// A client's override of the socket (tests, a second daemon): the whole path.
inline constexpr const char* kSocketEnvironment = "SITHSD_SOCKET";

// The daemon's default: $XDG_RUNTIME_DIR/sithsd/sithsd.sock, else /tmp/sithsd-UID/sithsd.sock
// (the daemon makes the folder 0700, or refuses one that is not).
inline std::filesystem::path default_socket_path(std::string_view xdg_runtime_dir, unsigned uid) {
    if (!xdg_runtime_dir.empty())
        return std::filesystem::path(xdg_runtime_dir) / "sithsd" / "sithsd.sock";
    return std::filesystem::path("/tmp") / ("sithsd-" + std::to_string(uid)) / "sithsd.sock";
}

// Where a client connects when it is not told: $SITHSD_SOCKET, else the default above for this
// process's environment. Read at the program's edge (main, a connect call), never deep inside.
inline std::filesystem::path client_socket_path() {
    if (const char* forced = std::getenv(kSocketEnvironment); forced && *forced) return forced;
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    return default_socket_path(runtime ? runtime : "", ::getuid());
}

}  // namespace sithsd
