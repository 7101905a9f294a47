#pragma once
// The native-messaging host manifests of sithsd-native-host for this user, so that Chromium,
// Google Chrome and Firefox let the sithsd extension start it (`sithsctl browsers register`).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sithsd::daemon {

// Where the three manifests go: Chromium's and Google Chrome's under config_home (~/.config
// unless XDG_CONFIG_HOME says otherwise), Firefox's under home.
std::vector<std::filesystem::path> native_host_manifest_paths(
    const std::filesystem::path& home, const std::filesystem::path& config_home);

// Writes se.sithsd.native_host.json in each of those folders; returns the files written.
// Throws std::runtime_error when a folder or file cannot be written.
std::vector<std::filesystem::path> register_native_host(const std::filesystem::path& home,
                                                        const std::filesystem::path& config_home,
                                                        const std::filesystem::path& host_path);

// Removes the manifests that are there; returns those removed.
std::vector<std::filesystem::path> unregister_native_host(const std::filesystem::path& home,
                                                          const std::filesystem::path& config_home);

// The host a manifest names ("path"), or nothing when the file is missing or unreadable.
std::optional<std::string> manifest_host(const std::filesystem::path& manifest);

}  // namespace sithsd::daemon
