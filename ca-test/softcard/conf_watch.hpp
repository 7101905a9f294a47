#pragma once
// What a blocking C_WaitForSlotEvent sleeps on: softcard.json being replaced (inotify on its
// folder; softcard-ctl in any process writes it) or the module being finalised (an eventfd), so
// that a waiting module costs no CPU. Without inotify or eventfd it looks every 50 ms instead.

#include <chrono>
#include <filesystem>
#include <string>

namespace sithsd::softcard {

// An eventfd that C_Finalize raises to wake every blocked wait; it stays raised.
class WakeSignal {
  public:
    WakeSignal();
    ~WakeSignal();
    WakeSignal(const WakeSignal&) = delete;
    WakeSignal& operator=(const WakeSignal&) = delete;

    void raise() noexcept;
    int fd() const { return fd_; }  // -1 when no eventfd could be made

  private:
    int fd_ = -1;
};

class ConfWatch {
  public:
    // Watches the folder of conf for conf being written, replaced or removed.
    explicit ConfWatch(const std::filesystem::path& conf);
    ~ConfWatch();
    ConfWatch(const ConfWatch&) = delete;
    ConfWatch& operator=(const ConfWatch&) = delete;

    // Returns when conf may have changed, wake was raised, or after the backstop (2 s; 50 ms
    // without inotify or a wake fd), whichever comes first. Spurious returns are allowed.
    void wait(const WakeSignal& wake) const;

  private:
    int inotify_ = -1;
    std::string name_;
};

}  // namespace sithsd::softcard
