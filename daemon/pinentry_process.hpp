#pragma once
// A running pinentry process and its two pipes. Nothing about it may hold the daemon: every write
// and read has a deadline, a cancel wakes a read at once, and the process is ended without ever
// blocking on it (SIGTERM, a short grace, SIGKILL, reaped in the background if it still lingers),
// whether it is stopped (SIGSTOP), ignores SIGTERM, or lingers after its answer.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sithsd::daemon {

using PromptClock = std::chrono::steady_clock;

class Pinentry {
  public:
    // Started with nothing of the daemon but the two pipes as stdin and stdout (and stderr): every
    // other descriptor is closed in the child, whether or not it was opened close-on-exec.
    static std::unique_ptr<Pinentry> start(const std::string& program);
    ~Pinentry();
    Pinentry(const Pinentry&) = delete;
    Pinentry& operator=(const Pinentry&) = delete;

    pid_t pid() const { return pid_; }

    // Writes one line; false when the pinentry is gone or did not take it before the deadline.
    bool send(const std::string& line, PromptClock::time_point deadline);

    enum class Read { line, eof, timeout, woken };
    // Reads one line (without "\n") before the deadline; woken when wake_fd (if >= 0) becomes
    // readable (a cancel). The line is line() until consume_line().
    Read read_line(PromptClock::time_point deadline, int wake_fd);
    std::string_view line() const { return {buffer_.data(), line_length_}; }
    void consume_line();

  private:
    Pinentry(pid_t pid, int to, int from, int stderr_fd);
    pid_t pid_;
    int to_, from_, stderr_;  // stderr_: -1 when its pipe could not be made
    std::vector<char> buffer_;
    std::size_t filled_ = 0, line_length_ = 0;
};

// How long a pinentry has after SIGTERM before SIGKILL.
constexpr std::chrono::milliseconds kPinentryGrace{1000};

// Ends a child process without ever blocking on it: reaped if it has exited, else SIGTERM (and
// SIGCONT, for a stopped one), up to `grace` to exit, then SIGKILL; one that still has not gone
// (uninterruptible sleep) is reaped by a detached thread.
void end_child(pid_t pid, std::chrono::milliseconds grace);

}  // namespace sithsd::daemon
