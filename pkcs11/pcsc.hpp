#pragma once
// Private to pkcs11/: PC/SC (pcsc-lite) behind an owner and one translator. winscard.h stays in
// pcsc.cpp; contexts are handed around as this owner, results as a typed error.
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace sithsd::pkcs11::pcsc {

// A failed PC/SC call: the function and pcsc-lite's code and text.
class Error : public std::runtime_error {
  public:
    Error(const char* function, long code);
    const std::string& function() const { return function_; }
    long code() const { return code_; }

  private:
    std::string function_;
    long code_;
};

// The one translator of PC/SC results: returns for SCARD_S_SUCCESS, throws Error otherwise.
void check(long rv, const char* function);

// An SCARDCONTEXT: SCardEstablishContext, SCardReleaseContext when it goes out of scope.
class Context {
  public:
    // Throws Error (SCARD_E_NO_SERVICE when pcscd is not running).
    Context();
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    // SCardCancel: ends a SCardGetStatusChange in progress on this context (from any thread).
    // A wait that starts after it is not affected.
    void cancel() noexcept;
    // The reader names; empty when there are none.
    std::vector<std::string> readers();
    std::int64_t handle() const { return handle_; }

  private:
    std::int64_t handle_ = 0;
};

// Cards coming and going in every reader of a context, and readers coming and going (pcsc-lite's
// PnP notification). Reads the current state when made; wait() reports changes after that.
class ReaderMonitor {
  public:
    enum class Change { none, cards, readers, cancelled };

    explicit ReaderMonitor(Context& context);
    ~ReaderMonitor();
    ReaderMonitor(const ReaderMonitor&) = delete;
    ReaderMonitor& operator=(const ReaderMonitor&) = delete;

    // Waits up to timeout: none when nothing changed, cancelled after Context::cancel(); cards
    // when a card was inserted or removed, readers when the reader list changed (make a new
    // monitor then). Throws Error when pcscd went away.
    Change wait(std::chrono::milliseconds timeout);

  private:
    struct States;
    Context& context_;
    std::vector<std::string> readers_;
    std::unique_ptr<States> states_;
};

}  // namespace sithsd::pkcs11::pcsc
