#include "browser-bridge/native-host/caller.hpp"

namespace sithsd::native_host {

bool called_by_our_extension(std::span<const std::string_view> args) {
    if (args.empty()) return false;
    const std::string chrome_origin =
        "chrome-extension://" + std::string(chromium_extension_id) + "/";
    if (args[0] == chrome_origin) return true;
    // Firefox: manifest path, then the id. The path is not checked (any folder Firefox reads).
    return args.size() >= 2 && args[1] == firefox_extension_id;
}

}  // namespace sithsd::native_host
