#include "daemon/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace sithsd::daemon {

bool write_all(int fd, std::string_view data) {
    const char* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = ENOSPC;
            return false;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    return true;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content,
                           unsigned mode) {
    auto fail = [&](const char* what) {
        throw std::runtime_error(std::string(what) + " " + path.string() + ": " +
                                 std::strerror(errno));
    };
    std::filesystem::create_directories(path.parent_path());
    std::string tmp = path.string() + ".tmp." + std::to_string(getpid());
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) fail("cannot create");
    if (!write_all(fd, content)) {
        close(fd);
        unlink(tmp.c_str());
        fail("cannot write");
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp.c_str());
        fail("cannot flush");
    }
    if (rename(tmp.c_str(), path.c_str()) != 0) {
        unlink(tmp.c_str());
        fail("cannot replace");
    }
    // The rename itself is durable once the folder is synced.
    int dir = open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        fsync(dir);
        close(dir);
    }
}

void create_private_folder(const std::filesystem::path& folder) {
    if (folder.empty()) return;
    if (folder.has_parent_path()) std::filesystem::create_directories(folder.parent_path());
    if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST)
        throw std::runtime_error("cannot create " + folder.string() + ": " + std::strerror(errno));
}

}  // namespace sithsd::daemon
