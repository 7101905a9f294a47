#include "daemon/pinentry_process.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

extern char** environ;

namespace sithsd::daemon {

namespace {

// Buffer for the pinentry's answers: Assuan lines are at most 1000 bytes, so this holds several.
constexpr std::size_t kBufferSize = 8192;

int milliseconds_left(PromptClock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - PromptClock::now())
                    .count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

bool reaped(pid_t pid) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    return r == pid || (r < 0 && errno == ECHILD);
}

// Waits up to `time` for the child to exit; true when it has been reaped.
bool wait_exit(pid_t pid, std::chrono::milliseconds time) {
    const auto end = PromptClock::now() + time;
    while (true) {
        if (reaped(pid)) return true;
        if (PromptClock::now() >= end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

// A pinentry's own messages ("No Gcr System Prompter available, falling back to curses") come
// with every prompt: each line is logged at info the first time, at debug after that.
void note_stderr(std::string_view text) {
    static std::mutex mutex;
    static std::set<std::string> seen;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string line(text.substr(start, end - start));
        start = end + 1;
        if (line.empty()) continue;
        bool first = false;
        {
            std::lock_guard lock(mutex);
            if (seen.size() < 64) first = seen.insert(line).second;
        }
        if (first)
            spdlog::info("pinentry says: {} (shown once)", line);
        else
            spdlog::debug("pinentry says: {}", line);
    }
}

}  // namespace

void end_child(pid_t pid, std::chrono::milliseconds grace) {
    if (pid <= 0 || reaped(pid)) return;
    kill(pid, SIGTERM);
    kill(pid, SIGCONT);  // a stopped process only sees SIGTERM once it runs again
    if (wait_exit(pid, grace)) return;
    kill(pid, SIGKILL);  // ends a stopped process too
    if (wait_exit(pid, std::chrono::milliseconds(500))) return;
    // Only a process in uninterruptible sleep survives SIGKILL this long: reaped when it goes.
    std::thread([pid] { waitpid(pid, nullptr, 0); }).detach();
}

std::unique_ptr<Pinentry> Pinentry::start(const std::string& program) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0) return nullptr;
    if (pipe2(out, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        return nullptr;
    }
    // Its stderr is read when it ends (note_stderr); non-blocking on both ends, so that a
    // pinentry that says much loses the rest rather than hangs.
    if (pipe2(err, O_CLOEXEC | O_NONBLOCK) != 0) err[0] = err[1] = -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    if (err[1] >= 0) posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    // Children inherit nothing else: a listening socket or a client's connection held by a
    // pinentry that outlives us would keep the port or the socket busy for the next daemon.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    // Signals the daemon ignores (SIGPIPE) stay ignored across exec; the pinentry gets defaults.
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
    char* argv[] = {const_cast<char*>(program.c_str()), nullptr};
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, program.c_str(), &actions, &attributes, argv, environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    if (err[1] >= 0) close(err[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        if (err[0] >= 0) close(err[0]);
        return nullptr;
    }
    // Our end of its stdin never blocks: a stopped pinentry whose pipe is full must not hold us.
    fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
    return std::unique_ptr<Pinentry>(new Pinentry(pid, in[1], out[0], err[0]));
}

Pinentry::Pinentry(pid_t pid, int to, int from, int stderr_fd)
    : pid_(pid), to_(to), from_(from), stderr_(stderr_fd), buffer_(kBufferSize) {}

Pinentry::~Pinentry() {
    // Wipe whatever passed through the buffer: a PIN comes back on a D line.
    OPENSSL_cleanse(buffer_.data(), buffer_.size());
    close(to_);
    close(from_);
    end_child(pid_, kPinentryGrace);
    if (stderr_ >= 0) {
        char text[2048];
        const ssize_t n = read(stderr_, text, sizeof text);
        if (n > 0) note_stderr(std::string_view(text, static_cast<std::size_t>(n)));
        close(stderr_);
    }
}

bool Pinentry::send(const std::string& line, PromptClock::time_point deadline) {
    const std::string data = line + "\n";
    const char* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
        ssize_t n = write(to_, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            pollfd out{to_, POLLOUT, 0};
            const int wait = milliseconds_left(deadline);
            if (wait == 0) return false;
            if (poll(&out, 1, wait) < 0 && errno != EINTR) return false;
            continue;
        }
        if (n <= 0) return false;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    return true;
}

Pinentry::Read Pinentry::read_line(PromptClock::time_point deadline, int wake_fd) {
    while (true) {
        if (auto nl = static_cast<char*>(std::memchr(buffer_.data(), '\n', filled_))) {
            line_length_ = static_cast<std::size_t>(nl - buffer_.data());
            return Read::line;
        }
        if (filled_ == buffer_.size()) return Read::eof;  // a line too long: not a pinentry
        const int wait = milliseconds_left(deadline);
        if (wait == 0) return Read::timeout;
        pollfd fds[2] = {{from_, POLLIN, 0}, {wake_fd, POLLIN, 0}};
        int ready = poll(fds, wake_fd >= 0 ? 2 : 1, wait);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return Read::eof;
        if (ready == 0) return Read::timeout;
        if (wake_fd >= 0 && (fds[1].revents & POLLIN)) return Read::woken;
        ssize_t n = read(from_, buffer_.data() + filled_, buffer_.size() - filled_);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Read::eof;
        filled_ += static_cast<std::size_t>(n);
    }
}

void Pinentry::consume_line() {
    std::size_t used = line_length_ + 1;
    std::memmove(buffer_.data(), buffer_.data() + used, filled_ - used);
    filled_ -= used;
    OPENSSL_cleanse(buffer_.data() + filled_, used);
}

}  // namespace sithsd::daemon
