#include "daemon/prompt.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string_view>
#include <vector>

#include "daemon/pinentry_process.hpp"

namespace sithsd::daemon {

using Clock = PromptClock;

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

// Reads status, comment and data lines up to OK or ERR. Data lines (a PIN) go into pin. Ends at
// once when wake_fd (a cancel) becomes readable.
Reply read_reply(Pinentry& p, Clock::time_point deadline, pkcs11::Secret* pin, int wake_fd) {
    while (true) {
        auto read = p.read_line(deadline, wake_fd);
        if (read == Pinentry::Read::timeout) return Reply::timeout;
        if (read == Pinentry::Read::woken) return Reply::cancelled;
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
Reply set_up(Pinentry& p, const PromptText& text, Clock::time_point deadline, int wake_fd) {
    Reply r = read_reply(p, deadline, nullptr, wake_fd);  // "OK Pleased to meet you"
    if (r != Reply::ok) return r;
    std::vector<std::string> commands;
    if (const char* tty = ttyname(STDIN_FILENO))
        commands.push_back(std::string("OPTION ttyname=") + tty);
    if (const char* term = std::getenv("TERM"))
        commands.push_back(std::string("OPTION ttytype=") + term);
    bool fits = true;
    auto add = [&](const char* command, const std::string& value) {
        if (value.empty()) return;
        // The texts are made to fit (prompt_texts.cpp); a line the pinentry would refuse is a bug.
        if (assuan_line_size(command, value) > kAssuanMaxLine) fits = false;
        commands.push_back(std::string(command) + " " + assuan_escape(value));
    };
    add("SETTITLE", text.title);
    add("SETDESC", text.description);
    add("SETPROMPT", text.prompt);
    add("SETERROR", text.error);
    add("SETOK", text.ok);
    add("SETCANCEL", text.cancel);
    if (!fits) {
        spdlog::error("prompt: a text is longer than a pinentry line ({} bytes)", kAssuanMaxLine);
        return Reply::failed;
    }
    for (const auto& command : commands) {
        if (!p.send(command, deadline)) return Reply::failed;
        r = read_reply(p, deadline, nullptr, wake_fd);
        // OPTIONs a pinentry does not know are not fatal.
        if (r != Reply::ok && command.rfind("OPTION ", 0) != 0) return r;
        if (r == Reply::timeout) return r;
    }
    return Reply::ok;
}

}  // namespace

std::size_t assuan_line_size(std::string_view command, std::string_view value) {
    std::size_t n = command.size() + 1;
    for (const char c : value) n += (c == '%' || c == '\r' || c == '\n') ? 3 : 1;
    return n;
}

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

CancelToken::~CancelToken() {
    if (wake_fd_ >= 0) close(wake_fd_);
}

void CancelToken::cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    if (wake_fd_ >= 0) eventfd_write(wake_fd_, 1);
    if (pid_ > 0) kill(pid_, SIGTERM);
}

int CancelToken::attach(pid_t pid) {
    std::lock_guard lock(mutex_);
    pid_ = pid;
    // Made on first use: only requests that reach a prompt pay a descriptor for it.
    if (wake_fd_ < 0) wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (cancelled_) {
        if (wake_fd_ >= 0) eventfd_write(wake_fd_, 1);
        kill(pid_, SIGTERM);
    }
    return wake_fd_;
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
    const int wake_fd = cancel.attach(p->pid());
    auto deadline = Clock::now() + timeout_;
    Reply r = set_up(*p, text, deadline, wake_fd);
    if (r == Reply::ok)
        r = p->send(command, deadline) ? read_reply(*p, deadline, pin, wake_fd) : Reply::failed;
    if (r == Reply::ok) p->send("BYE", Clock::now() + std::chrono::milliseconds(100));
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
    if (set_up(*p, text, deadline, -1) != Reply::ok || !p->send("MESSAGE", deadline))
        return nullptr;
    auto message = std::make_unique<PromptMessage>(std::move(p));
    return message;
}

}  // namespace sithsd::daemon
