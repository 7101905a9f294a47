#pragma once
// Writes a whole file so that a crash leaves either the old or the new content: a temporary file
// next to it, fsync, rename, fsync of the folder. Used for remembered consent decisions.
#include <filesystem>
#include <string_view>

namespace sithsd::daemon {

// Throws std::runtime_error naming the path when it cannot.
void write_file_atomically(const std::filesystem::path& path, std::string_view content,
                           unsigned mode = 0600);

}  // namespace sithsd::daemon
