#pragma once
// Which local programs are browsers, for moduleSign (PROTOCOL.md "The browser's PKCS#11 module"):
// the executables of the browsers that load a PKCS#11 module from an NSS database, by the path
// /proc/PID/exe gives for them, and those the config names (`browser_programs`).
#include <filesystem>
#include <string_view>
#include <vector>

namespace sithsd::daemon {

// The browsers' real executables (not the /usr/bin launchers, which are scripts or links):
// Debian's chromium and firefox-esr, Mozilla's Firefox packages, Google Chrome, Microsoft Edge,
// Brave and Vivaldi, each in the places their packages install to.
const std::vector<std::string_view>& known_browser_programs();

// Whether `executable` (the target of /proc/PID/exe) is a browser: on the known list or among
// `configured`. A browser updated while it runs is still one: the kernel then names its old file
// "PATH (deleted)". An empty executable (unreadable) is none.
[[nodiscard]] bool is_browser_program(std::string_view executable,
                                      const std::vector<std::filesystem::path>& configured);

}  // namespace sithsd::daemon
