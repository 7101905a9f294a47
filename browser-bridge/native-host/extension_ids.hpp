// The sithsd extension's ids and the host's name, in one place for the host's caller check and
// for `sithsctl browsers register --native-host`, which writes the host manifests.
#pragma once

#include <string_view>

namespace sithsd::native_host {

// Chromium's id comes from the `key` in extension/manifest.json (see extension/README.md),
// Firefox's from browser_specific_settings.gecko.id.
inline constexpr std::string_view chromium_extension_id = "dhcgobcphckpalnkldnainiihecbaibm";
inline constexpr std::string_view firefox_extension_id = "extension@sithsd.se";
inline constexpr std::string_view host_name = "se.sithsd.native_host";

}  // namespace sithsd::native_host
