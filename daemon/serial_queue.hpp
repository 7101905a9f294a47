#pragma once
// A bounded queue of jobs run one at a time on a thread of its own: one per card, so that a slow
// card (or a person typing a PIN) never stalls the network threads or another card.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace sithsd::daemon {

class SerialQueue {
  public:
    explicit SerialQueue(std::size_t max_depth);
    ~SerialQueue();  // runs what is queued, then joins
    SerialQueue(const SerialQueue&) = delete;
    SerialQueue& operator=(const SerialQueue&) = delete;

    // False when max_depth jobs are already waiting (the caller answers BUSY). The job that runs
    // is not counted: it answers its client before it returns, so a client that asks again at once
    // would otherwise find its own finished request still holding a place (32 clients signing in
    // closed loops on a queue of 32 got BUSY now and then; found by bench/run-soak).
    bool post(std::function<void()> job);
    std::size_t depth() const;  // waiting + running

  private:
    void run();

    const std::size_t max_depth_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    bool running_job_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace sithsd::daemon
