#pragma once
// Calls a function every period on its own thread until destroyed (the daily certificateExpiring
// round). The destructor wakes the thread and joins it: no wait outlives it.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace sithsd::daemon {

class PeriodicTimer {
  public:
    PeriodicTimer(std::chrono::steady_clock::duration period, std::function<void()> tick)
        : period_(period), tick_(std::move(tick)), thread_([this] { run(); }) {}
    ~PeriodicTimer() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    PeriodicTimer(const PeriodicTimer&) = delete;
    PeriodicTimer& operator=(const PeriodicTimer&) = delete;

  private:
    void run() {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, period_, [this] { return stop_; })) {
            lock.unlock();
            tick_();
            lock.lock();
        }
    }

    const std::chrono::steady_clock::duration period_;
    const std::function<void()> tick_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;  // last: starts once the members above exist
};

}  // namespace sithsd::daemon
