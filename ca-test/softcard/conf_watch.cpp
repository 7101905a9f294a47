#include "ca-test/softcard/conf_watch.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace sithsd::softcard {
namespace {

// A change that inotify could not show (the folder itself replaced, a full event queue) is
// still seen within this; it is the only periodic wake-up of an idle wait.
constexpr auto kBackstop = std::chrono::seconds(2);
// Without inotify or a wake fd: look as often as the module used to.
constexpr auto kFallbackPoll = std::chrono::milliseconds(50);

constexpr std::uint32_t kConfChanges =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB;

// Reads the pending inotify events; true when one names `name` (or the queue overflowed).
bool names_conf(int fd, const std::string& name) {
    alignas(inotify_event) char buffer[4096];
    bool hit = false;
    while (true) {
        const ssize_t n = read(fd, buffer, sizeof buffer);
        if (n <= 0) return hit;  // EAGAIN: all read
        for (ssize_t at = 0; at < n;) {
            const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
            if (event->mask & (IN_Q_OVERFLOW | IN_IGNORED)) hit = true;
            if (event->len && name == event->name) hit = true;
            at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        }
    }
}

}  // namespace

WakeSignal::WakeSignal() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

WakeSignal::~WakeSignal() {
    if (fd_ >= 0) close(fd_);
}

void WakeSignal::raise() noexcept {
    if (fd_ < 0) return;
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = write(fd_, &one, sizeof one);  // full counter: raised anyway
}

ConfWatch::ConfWatch(const std::filesystem::path& conf) : name_(conf.filename().string()) {
    inotify_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (inotify_ < 0) return;
    const std::string folder = conf.parent_path().empty() ? "." : conf.parent_path().string();
    if (inotify_add_watch(inotify_, folder.c_str(), kConfChanges) < 0) {
        close(inotify_);
        inotify_ = -1;
    }
}

ConfWatch::~ConfWatch() {
    if (inotify_ >= 0) close(inotify_);
}

void ConfWatch::wait(const WakeSignal& wake) const {
    const bool sleeps = inotify_ >= 0 && wake.fd() >= 0;
    const auto limit =
        sleeps ? std::chrono::duration_cast<std::chrono::milliseconds>(kBackstop) : kFallbackPoll;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return;
        pollfd fds[2] = {{wake.fd(), POLLIN, 0}, {inotify_, POLLIN, 0}};
        const int ready = poll(fds, 2, static_cast<int>(left.count()) + 1);
        if (ready < 0 && errno != EINTR) return;
        if (fds[0].revents) return;  // C_Finalize
        if (fds[1].revents && names_conf(inotify_, name_)) return;
    }
}

}  // namespace sithsd::softcard
