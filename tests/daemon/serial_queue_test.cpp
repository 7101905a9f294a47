// The card queue's bound: max_depth jobs may wait behind the one that runs; the next is refused.
#include "daemon/serial_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

using namespace sithsd::daemon;
using namespace std::chrono_literals;

namespace {

// A gate the running job waits at, so that the test decides when it ends.
struct Gate {
    std::mutex mutex;
    std::condition_variable cv;
    bool entered = false, open = false;
    void enter_and_wait() {
        std::unique_lock lock(mutex);
        entered = true;
        cv.notify_all();
        cv.wait_for(lock, 10s, [this] { return open; });
    }
    bool wait_entered() {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, 10s, [this] { return entered; });
    }
    void release() {
        std::lock_guard lock(mutex);
        open = true;
        cv.notify_all();
    }
};

}  // namespace

TEST(SerialQueue, MaxDepthJobsWaitBehindTheRunningOneThenBusy) {
    Gate gate;
    std::atomic<int> ran{0};
    {
        SerialQueue queue(4);
        ASSERT_TRUE(queue.post([&] {
            gate.enter_and_wait();
            ++ran;
        }));
        ASSERT_TRUE(gate.wait_entered());
        // The running job has (as a card job does) answered its client, who asks again at once:
        // it finds room, as do the others up to the bound.
        for (int i = 0; i < 4; ++i) EXPECT_TRUE(queue.post([&] { ++ran; })) << i;
        EXPECT_EQ(queue.depth(), 5u);
        EXPECT_FALSE(queue.post([&] { ++ran; }));  // BUSY
        gate.release();
    }  // the destructor runs what is queued
    EXPECT_EQ(ran, 5);
}

TEST(SerialQueue, RunsJobsInOrderOneAtATime) {
    std::vector<int> order;
    std::mutex mutex;
    int running = 0, most = 0;
    {
        SerialQueue queue(16);
        for (int i = 0; i < 16; ++i)
            ASSERT_TRUE(queue.post([&, i] {
                {
                    std::lock_guard lock(mutex);
                    most = std::max(most, ++running);
                    order.push_back(i);
                }
                std::lock_guard lock(mutex);
                --running;
            }));
    }
    ASSERT_EQ(order.size(), 16u);
    for (int i = 0; i < 16; ++i) EXPECT_EQ(order[i], i);
    EXPECT_EQ(most, 1);
}
