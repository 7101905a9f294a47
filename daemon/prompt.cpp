#include "daemon/prompt.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <mutex>
#include <set>
#include <string_view>
#include <vector>

extern char** environ;

namespace sithsd::daemon {

using Clock = std::chrono::steady_clock;

// A running pinentry: its pid and both pipe ends. Killed and reaped when it goes away.
class Pinentry {
  public:
    static std::unique_ptr<Pinentry> start(const std::string& program) {
        int in[2], out[2], err[2];
        if (pipe2(in, O_CLOEXEC) != 0) return nullptr;
        if (pipe2(out, O_CLOEXEC) != 0) {
            close(in[0]);
            close(in[1]);
            return nullptr;
        }
        // Its stderr is read when it ends (see note_stderr); non-blocking on both ends, so that a
        // pinentry that says much loses the rest rather than hangs.
        if (pipe2(err, O_CLOEXEC | O_NONBLOCK) != 0) err[0] = err[1] = -1;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        if (err[1] >= 0) posix_spawn_file_actions_adddup2(&actions, err[1], 2);
        char* argv[] = {const_cast<char*>(program.c_str()), nullptr};
        pid_t pid = -1;
        int rc = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
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
        return std::unique_ptr<Pinentry>(new Pinentry(pid, in[1], out[0], err[0]));
    }

    ~Pinentry() {
        // Wipe whatever passed through the buffer: a PIN comes back on a D line.
        OPENSSL_cleanse(buffer_.data(), buffer_.size());
        close(to_);
        close(from_);
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
        if (stderr_ >= 0) {
            char text[2048];
            const ssize_t n = read(stderr_, text, sizeof text);
            if (n > 0) note_stderr(std::string_view(text, static_cast<std::size_t>(n)));
            close(stderr_);
        }
    }

    pid_t pid() const { return pid_; }
    int to() const { return to_; }
    int from() const { return from_; }

    bool send(const std::string& line) {
        std::string data = line + "\n";
        const char* p = data.data();
        std::size_t left = data.size();
        while (left > 0) {
            ssize_t n = write(to_, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            p += n;
            left -= static_cast<std::size_t>(n);
        }
        return true;
    }

    enum class Read { line, eof, timeout };
    // Reads one line (without "\n") into line_ (a view into buffer_) before the deadline.
    Read read_line(Clock::time_point deadline) {
        while (true) {
            if (auto nl = static_cast<char*>(std::memchr(buffer_.data(), '\n', filled_))) {
                line_length_ = static_cast<std::size_t>(nl - buffer_.data());
                return Read::line;
            }
            if (filled_ == buffer_.size()) return Read::eof;  // a line too long: not a pinentry
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())
                    .count();
            if (left <= 0) return Read::timeout;
            pollfd p{from_, POLLIN, 0};
            int ready = poll(&p, 1, static_cast<int>(left));
            if (ready < 0 && errno == EINTR) continue;
            if (ready == 0) return Read::timeout;
            ssize_t n = read(from_, buffer_.data() + filled_, buffer_.size() - filled_);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return Read::eof;
            filled_ += static_cast<std::size_t>(n);
        }
    }
    std::string_view line() const { return {buffer_.data(), line_length_}; }
    void consume_line() {
        std::size_t used = line_length_ + 1;
        std::memmove(buffer_.data(), buffer_.data() + used, filled_ - used);
        filled_ -= used;
        OPENSSL_cleanse(buffer_.data() + filled_, used);
    }

  private:
    Pinentry(pid_t pid, int to, int from, int stderr_fd)
        : pid_(pid), to_(to), from_(from), stderr_(stderr_fd), buffer_(8192) {}

    // A pinentry's own messages ("No Gcr System Prompter available, falling back to curses") come
    // with every prompt: each line is logged at info the first time, at debug after that.
    static void note_stderr(std::string_view text) {
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

    pid_t pid_;
    int to_, from_, stderr_;
    std::vector<char> buffer_;
    std::size_t filled_ = 0, line_length_ = 0;
};

namespace {

// GnuPG error codes (libgpg-error): the low 16 bits of an Assuan ERR.
constexpr unsigned kGpgErrCanceled = 99;
constexpr unsigned kGpgErrTimeout = 62;
// A CONFIRM's "no" button (GnuPG's pinentry): the person said no, like a cancel.
constexpr unsigned kGpgErrNotConfirmed = 114;

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

enum class Reply { ok, cancelled, timeout, failed };

// Reads status, comment and data lines up to OK or ERR. Data lines (a PIN) go into pin.
Reply read_reply(Pinentry& p, Clock::time_point deadline, pkcs11::Secret* pin) {
    while (true) {
        auto read = p.read_line(deadline);
        if (read == Pinentry::Read::timeout) return Reply::timeout;
        if (read == Pinentry::Read::eof) return Reply::failed;
        std::string_view line = p.line();
        if (line == "OK" || line.rfind("OK ", 0) == 0) {
            p.consume_line();
            return Reply::ok;
        }
        if (line.rfind("ERR ", 0) == 0) {
            unsigned code = static_cast<unsigned>(
                std::strtoul(std::string(line.substr(4, 12)).c_str(), nullptr, 10));
            p.consume_line();
            if ((code & 0xffff) == kGpgErrCanceled || (code & 0xffff) == kGpgErrNotConfirmed)
                return Reply::cancelled;
            if ((code & 0xffff) == kGpgErrTimeout) return Reply::timeout;
            return Reply::failed;
        }
        if (line.rfind("D ", 0) == 0 && pin) {
            for (std::size_t i = 2; i < line.size(); ++i) {
                char c = line[i];
                if (c == '%' && i + 2 < line.size() && hex_value(line[i + 1]) >= 0 &&
                    hex_value(line[i + 2]) >= 0) {
                    c = static_cast<char>(hex_value(line[i + 1]) * 16 + hex_value(line[i + 2]));
                    i += 2;
                }
                if (!pin->push_back(c)) {
                    pin->clear();
                    p.consume_line();
                    return Reply::failed;
                }
            }
        }
        p.consume_line();  // S status lines, # comments, INQUIRE (not expected) are skipped
    }
}

PromptOutcome outcome(Reply reply, const CancelToken& cancel) {
    if (cancel.cancelled()) return PromptOutcome::cancelled;
    switch (reply) {
        case Reply::ok:
            return PromptOutcome::ok;
        case Reply::cancelled:
            return PromptOutcome::cancelled;
        case Reply::timeout:
            return PromptOutcome::timeout;
        case Reply::failed:
            return PromptOutcome::unavailable;
    }
    return PromptOutcome::unavailable;
}

// Greeting, options and texts; true when the pinentry took them all.
Reply set_up(Pinentry& p, const PromptText& text, Clock::time_point deadline) {
    Reply r = read_reply(p, deadline, nullptr);  // "OK Pleased to meet you"
    if (r != Reply::ok) return r;
    std::vector<std::string> commands;
    if (const char* tty = ttyname(STDIN_FILENO))
        commands.push_back(std::string("OPTION ttyname=") + tty);
    if (const char* term = std::getenv("TERM"))
        commands.push_back(std::string("OPTION ttytype=") + term);
    auto add = [&](const char* command, const std::string& value) {
        if (!value.empty()) commands.push_back(std::string(command) + " " + assuan_escape(value));
    };
    add("SETTITLE", text.title);
    add("SETDESC", text.description);
    add("SETPROMPT", text.prompt);
    add("SETERROR", text.error);
    add("SETOK", text.ok);
    add("SETCANCEL", text.cancel);
    for (const auto& command : commands) {
        if (!p.send(command)) return Reply::failed;
        r = read_reply(p, deadline, nullptr);
        // OPTIONs a pinentry does not know are not fatal.
        if (r != Reply::ok && command.rfind("OPTION ", 0) != 0) return r;
        if (r == Reply::timeout) return r;
    }
    return Reply::ok;
}

}  // namespace

std::string assuan_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '%')
            out += "%25";
        else if (c == '\r')
            out += "%0D";
        else if (c == '\n')
            out += "%0A";
        else
            out += c;
    }
    return out;
}

void CancelToken::cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    if (pid_ > 0) kill(pid_, SIGTERM);
}

void CancelToken::attach(pid_t pid) {
    std::lock_guard lock(mutex_);
    pid_ = pid;
    if (cancelled_) kill(pid_, SIGTERM);
}

void CancelToken::detach() {
    std::lock_guard lock(mutex_);
    pid_ = -1;
}

PromptMessage::PromptMessage(std::unique_ptr<Pinentry> pinentry) : pinentry_(std::move(pinentry)) {}
PromptMessage::~PromptMessage() = default;  // ~Pinentry ends the process

Prompter::Prompter(std::string program, std::chrono::seconds timeout)
    : program_(std::move(program)), timeout_(timeout) {}

// One question: start a pinentry, give it the texts, send the command (GETPIN or CONFIRM), read
// the answer (into pin for GETPIN), say goodbye. Killed by the CancelToken or at the deadline.
PromptOutcome Prompter::ask(const PromptText& text, const char* command, pkcs11::Secret* pin,
                            CancelToken& cancel) {
    if (pin) pin->clear();
    if (cancel.cancelled()) return PromptOutcome::cancelled;
    auto p = Pinentry::start(program_);
    if (!p) return PromptOutcome::unavailable;
    cancel.attach(p->pid());
    auto deadline = Clock::now() + timeout_;
    Reply r = set_up(*p, text, deadline);
    if (r == Reply::ok) r = p->send(command) ? read_reply(*p, deadline, pin) : Reply::failed;
    if (r == Reply::ok) p->send("BYE");
    cancel.detach();
    if (r != Reply::ok && pin) pin->clear();
    return outcome(r, cancel);
}

PromptOutcome Prompter::get_pin(const PromptText& text, pkcs11::Secret& pin, CancelToken& cancel) {
    return ask(text, "GETPIN", &pin, cancel);
}

PromptOutcome Prompter::confirm(const PromptText& text, CancelToken& cancel) {
    return ask(text, "CONFIRM", nullptr, cancel);
}

std::unique_ptr<PromptMessage> Prompter::show_message(const PromptText& text) {
    auto p = Pinentry::start(program_);
    if (!p) return nullptr;
    auto deadline = Clock::now() + std::chrono::seconds(5);
    if (set_up(*p, text, deadline) != Reply::ok || !p->send("MESSAGE")) return nullptr;
    auto message = std::make_unique<PromptMessage>(std::move(p));
    return message;
}

}  // namespace sithsd::daemon
