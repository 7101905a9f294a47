// The sithsd extension's ids and the host's name, in one place (low, in common/) for the native
// host's caller check and for `sithsctl browsers register --native-host`, which writes the host
// manifests: the daemon's folder includes nothing from browser-bridge/.
#pragma once

#include <string_view>

namespace sithsd::native_host {

// Chromium's id comes from the `key` in browser-bridge/extension/manifest.json (see its README),
// Firefox's from browser_specific_settings.gecko.id.
inline constexpr std::string_view chromium_extension_id = "dhcgobcphckpalnkldnainiihecbaibm";
inline constexpr std::string_view firefox_extension_id = "extension@sithsd.se";
inline constexpr std::string_view host_name = "se.sithsd.native_host";

}  // namespace sithsd::native_host
