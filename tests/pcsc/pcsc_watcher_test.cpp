// The PC/SC side of the card watcher, against a real pcscd with vsmartcard-vpcd's virtual reader
// and vicc inserting and removing a card. Run by in-private-pcscd (its own pcscd in a private
// mount + network namespace).
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "pkcs11/card_watcher.hpp"

extern char** environ;

using sithsd::pkcs11::CardWatcher;

namespace {

class Events {
  public:
    void add(CardWatcher::Source source) {
        std::lock_guard lock(mutex_);
        if (source == CardWatcher::Source::pcsc) ++count_;
        changed_.notify_all();
    }
    bool wait_for(int n, std::chrono::seconds deadline) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, deadline, [&] { return count_ >= n; });
    }
    int count() {
        std::lock_guard lock(mutex_);
        return count_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int count_ = 0;
};

pid_t start_vicc() {
    pid_t pid = 0;
    char* argv[] = {const_cast<char*>(SITHSD_TEST_VICC), nullptr};
    if (posix_spawn(&pid, SITHSD_TEST_VICC, nullptr, nullptr, argv, environ) != 0) return -1;
    return pid;
}

void stop(pid_t pid) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
}

}  // namespace

TEST(PcscWatcher, ReportsCardInsertedAndRemoved) {
    Events events;
    CardWatcher::Options options;
    options.pcsc = true;
    CardWatcher watcher(
        {}, [&](CardWatcher::Source s) { events.add(s); }, options);

    pid_t vicc = start_vicc();
    ASSERT_GT(vicc, 0);
    ASSERT_TRUE(events.wait_for(1, std::chrono::seconds(15))) << "no event after vicc connected";
    int after_insert = events.count();
    stop(vicc);
    ASSERT_TRUE(events.wait_for(after_insert + 1, std::chrono::seconds(15)))
        << "no event after vicc went away";

    // And once more: the watcher keeps watching.
    int before = events.count();
    vicc = start_vicc();
    ASSERT_TRUE(events.wait_for(before + 1, std::chrono::seconds(15)));
    stop(vicc);
    watcher.stop();  // ends a blocking SCardGetStatusChange through SCardCancel
}

TEST(PcscWatcher, StopsPromptlyWhileWaiting) {
    Events events;
    auto start = std::chrono::steady_clock::now();
    {
        CardWatcher watcher({}, [&](CardWatcher::Source s) { events.add(s); });
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}
