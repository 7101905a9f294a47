#pragma once
// Questions to the person at the keyboard, through a pinentry program spoken to over its Assuan
// protocol (as GnuPG does). PINs come back into a Secret, never into a std::string.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "pkcs11/secret.hpp"

namespace sithsd::daemon {

// Lets another thread end a prompt (cancel, client gone, shutdown): the pinentry is killed.
// A cancel also wakes the prompt's read at once (an eventfd), so that a pinentry that is stopped
// or ignores SIGTERM cannot make a cancel or a shutdown wait for the prompt's timeout.
class CancelToken {
  public:
    CancelToken() = default;
    ~CancelToken();
    CancelToken(const CancelToken&) = delete;
    CancelToken& operator=(const CancelToken&) = delete;
    void cancel();
    bool cancelled() const { return cancelled_; }
    // The pinentry now running for this request; returns the descriptor a cancel makes readable
    // (-1 when none could be made: then only the kill and the prompt's deadline end it).
    int attach(pid_t pid);
    void detach();

  private:
    std::mutex mutex_;
    pid_t pid_ = -1;
    int wake_fd_ = -1;
    std::atomic<bool> cancelled_{false};
};

enum class PromptOutcome { ok, cancelled, timeout, unavailable };

struct PromptText {
    std::string title;
    std::string description;
    std::string prompt;  // GETPIN only
    std::string error;   // shown above the field (e.g. after a wrong PIN); never set by us now
    std::string ok, cancel;
};

// A MESSAGE shown while something else happens (a PIN-pad reader waits for its keys); closed when
// this object goes away.
class Pinentry;  // pinentry_process.hpp: a running pinentry process

class PromptMessage {
  public:
    explicit PromptMessage(std::unique_ptr<Pinentry> pinentry);
    ~PromptMessage();
    PromptMessage(const PromptMessage&) = delete;
    PromptMessage& operator=(const PromptMessage&) = delete;

  private:
    std::unique_ptr<Pinentry> pinentry_;
};

// Questions to the person (pinentry).
class Prompts {
  public:
    virtual ~Prompts() = default;
    virtual PromptOutcome get_pin(const PromptText& text, pkcs11::Secret& pin,
                                  CancelToken& cancel) = 0;
    virtual PromptOutcome confirm(const PromptText& text, CancelToken& cancel) = 0;
    // Shown until the returned object goes away; nullptr when nothing could be shown.
    virtual std::unique_ptr<PromptMessage> show_message(const PromptText& text) = 0;
};

class Prompter final : public Prompts {
  public:
    Prompter(std::string program, std::chrono::seconds timeout);

    PromptOutcome get_pin(const PromptText& text, pkcs11::Secret& pin,
                          CancelToken& cancel) override;
    PromptOutcome confirm(const PromptText& text, CancelToken& cancel) override;
    // Shows a message without waiting for it; nullptr when no pinentry can be started.
    std::unique_ptr<PromptMessage> show_message(const PromptText& text) override;

  private:
    PromptOutcome ask(const PromptText& text, const char* command, pkcs11::Secret* pin,
                      CancelToken& cancel);

    std::string program_;
    std::chrono::seconds timeout_;
};

// Assuan's percent-escaping of %, CR and LF for the texts we send.
std::string assuan_escape(const std::string& text);

// libassuan (and so every GnuPG pinentry) takes lines of at most 1000 bytes before the line end;
// a longer one is refused, so every text must fit its command's line once escaped.
inline constexpr std::size_t kAssuanMaxLine = 1000;
// "COMMAND escaped-value": the bytes of the line the pinentry gets.
std::size_t assuan_line_size(std::string_view command, std::string_view value);

}  // namespace sithsd::daemon
