#include "daemon/browser_programs.hpp"

#include <algorithm>
#include <string>

namespace sithsd::daemon {

const std::vector<std::string_view>& known_browser_programs() {
    static const std::vector<std::string_view> kKnown{
        "/usr/lib/chromium/chromium",          // Debian's chromium
        "/usr/lib/firefox-esr/firefox-esr",    // Debian's firefox-esr
        "/usr/lib/firefox/firefox",            // Debian's firefox; Mozilla's APT package
        "/opt/firefox/firefox",                // Mozilla's tarball, where its guide puts it
        "/opt/google/chrome/chrome",           // Google Chrome
        "/opt/google/chrome-beta/chrome",      //   beta
        "/opt/google/chrome-unstable/chrome",  //   dev
        "/opt/microsoft/msedge/msedge",        // Microsoft Edge
        "/opt/microsoft/msedge-beta/msedge",   //   beta
        "/opt/microsoft/msedge-dev/msedge",    //   dev
        "/opt/brave.com/brave/brave",          // Brave
        "/opt/vivaldi/vivaldi-bin",            // Vivaldi
    };
    return kKnown;
}

bool is_browser_program(std::string_view executable,
                        const std::vector<std::filesystem::path>& configured) {
    constexpr std::string_view kDeleted = " (deleted)";
    if (executable.ends_with(kDeleted)) executable.remove_suffix(kDeleted.size());
    if (executable.empty()) return false;
    const auto& known = known_browser_programs();
    if (std::find(known.begin(), known.end(), executable) != known.end()) return true;
    return std::any_of(configured.begin(), configured.end(),
                       [executable](const auto& path) { return path.native() == executable; });
}

}  // namespace sithsd::daemon
