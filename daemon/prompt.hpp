#pragma once
// Questions to the person at the keyboard, through a pinentry program spoken to over its Assuan
// protocol (as GnuPG does). PINs come back into a Secret, never into a std::string.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "pkcs11/secret.hpp"

namespace sithsd::daemon {

// Lets another thread end a prompt (cancel, client gone, shutdown): the pinentry is killed.
class CancelToken {
  public:
    void cancel();
    bool cancelled() const { return cancelled_; }
    void attach(pid_t pid);  // the pinentry now running for this request
    void detach();

  private:
    std::mutex mutex_;
    pid_t pid_ = -1;
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
class Pinentry;  // prompt.cpp: a running pinentry process

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

}  // namespace sithsd::daemon
