#pragma once
// Writes a whole file so that a crash leaves either the old or the new content: a temporary file
// next to it, fsync, rename, fsync of the folder. Used for remembered consent decisions.
#include <filesystem>
#include <string_view>

namespace sithsd::daemon {

// Writes all of data (retrying short writes and EINTR); false with errno set when it cannot.
bool write_all(int fd, std::string_view data);

// Throws std::runtime_error naming the path when it cannot.
void write_file_atomically(const std::filesystem::path& path, std::string_view content,
                           unsigned mode = 0600);

// A folder for the daemon's own state (the audit log, remembered consent): made 0700 when it does
// not exist yet (its parents as usual). An existing folder is left as it is.
void create_private_folder(const std::filesystem::path& folder);

}  // namespace sithsd::daemon
