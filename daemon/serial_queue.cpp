#include "daemon/serial_queue.hpp"

#include <spdlog/spdlog.h>

namespace sithsd::daemon {

SerialQueue::SerialQueue(std::size_t max_depth)
    : max_depth_(max_depth), thread_([this] { run(); }) {}

SerialQueue::~SerialQueue() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

bool SerialQueue::post(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (jobs_.size() >= max_depth_) return false;
        jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
    return true;
}

std::size_t SerialQueue::depth() const {
    std::lock_guard lock(mutex_);
    return jobs_.size() + (running_job_ ? 1 : 0);
}

void SerialQueue::run() {
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping, and everything queued has run
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        running_job_ = true;
        lock.unlock();
        try {
            job();
        } catch (const std::exception& e) {
            // Jobs answer their own errors; one that escapes is a bug, never a reason to stop.
            spdlog::error("card queue: a job failed: {}", e.what());
        }
        lock.lock();
        running_job_ = false;
    }
}

}  // namespace sithsd::daemon
