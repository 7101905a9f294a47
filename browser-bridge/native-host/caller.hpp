// Who started the host. Chrome passes the calling extension's origin (`chrome-extension://ID/`)
// as the first argument (on Windows a `--parent-window=` follows); Firefox passes the path of
// the host manifest and then the extension's id. The browser already checks the manifest's
// allowed_origins / allowed_extensions; this check keeps another extension out should a manifest
// be edited, as Web eID's native app does.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/extension_ids.hpp"

namespace sithsd::native_host {

// Whether the arguments (without the program name) name our extension.
[[nodiscard]] bool called_by_our_extension(std::span<const std::string_view> args);

}  // namespace sithsd::native_host
