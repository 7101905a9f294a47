// The card watcher's ways of hearing about cards, per module: a blocking C_WaitForSlotEvent (the
// soft card; no polling), C_WaitForSlotEvent(CKF_DONT_BLOCK) polled for a module that someone
// else initialised, and the slot list polled for SoftHSM2 (no slot events). Label pkcs11.
#include <gtest/gtest.h>
#include <p11-kit/pkcs11.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "pkcs11/card_watcher.hpp"
#include "test_world.hpp"

using namespace sithsd::pkcs11;
using namespace std::chrono_literals;

namespace {

class Events {
  public:
    CardWatcher::Callback callback() {
        return [this](CardWatcher::Source) {
            std::lock_guard lock(mutex_);
            ++count_;
            changed_.notify_all();
        };
    }
    int count() {
        std::lock_guard lock(mutex_);
        return count_;
    }
    bool wait_for(int n, std::chrono::milliseconds deadline) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, deadline, [&] { return count_ >= n; });
    }

  private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int count_ = 0;
};

// Only the blocking wait can report within the tests' deadlines: the polls are an hour apart.
CardWatcher::Options blocking_only() {
    CardWatcher::Options options;
    options.pcsc = false;
    options.event_poll = std::chrono::hours(1);
    options.slot_list_poll = std::chrono::hours(1);
    return options;
}

bool module_answers(const std::shared_ptr<Module>& module) {
    CK_ULONG count = 0;
    return module->functions()->C_GetSlotList(CK_TRUE, nullptr, &count) == CKR_OK;
}

TEST(SoftcardWatcher, BlockingWaitReportsInsertAndRemove) {
    sithsd::test::TestWorld world;
    auto module = Module::load(SITHSD_TEST_SOFTCARD_MODULE);
    Events events;
    CardWatcher watcher({module}, events.callback(), blocking_only());
    std::this_thread::sleep_for(100ms);  // the watcher is in its blocking wait now
    ASSERT_EQ(world.ctl("insert ulla"), 0);
    // Well inside the soft card's 2 s backstop: inotify woke the wait.
    ASSERT_TRUE(events.wait_for(1, 1500ms)) << "no event after insert";
    const int after_insert = events.count();
    ASSERT_EQ(world.ctl("remove ulla"), 0);
    ASSERT_TRUE(events.wait_for(after_insert + 1, 1500ms)) << "no event after remove";
    ASSERT_EQ(world.ctl("insert ulla"), 0);
    ASSERT_TRUE(events.wait_for(after_insert + 2, 1500ms)) << "the watcher keeps watching";
}

TEST(SoftcardWatcher, StopFinalizesTheModuleWithinTheDeadline) {
    sithsd::test::TestWorld world;
    auto module = Module::load(SITHSD_TEST_SOFTCARD_MODULE);
    Events events;
    CardWatcher watcher({module}, events.callback(), blocking_only());
    std::this_thread::sleep_for(100ms);
    ASSERT_TRUE(module->owns_initialization());
    const auto start = std::chrono::steady_clock::now();
    watcher.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s)
        << "C_Finalize ends the blocking C_WaitForSlotEvent";
    EXPECT_FALSE(module->owns_initialization()) << "stop() finalised the module it waited on";
    const int seen = events.count();
    ASSERT_EQ(world.ctl("insert ulla"), 0);
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(events.count(), seen) << "no callback after stop()";
}

TEST(SoftcardWatcher, ModuleInitialisedByAnotherUserIsPolledAndLeftInitialised) {
    sithsd::test::TestWorld world;
    auto ours = Module::load(SITHSD_TEST_SOFTCARD_MODULE);
    // The same library again: C_Initialize answers CKR_CRYPTOKI_ALREADY_INITIALIZED, so this
    // owner may not finalise it, and the watcher must not wait on it in a blocking call.
    auto borrowed = Module::load(SITHSD_TEST_SOFTCARD_MODULE);
    ASSERT_FALSE(borrowed->owns_initialization());
    Events events;
    CardWatcher::Options options;
    options.pcsc = false;
    CardWatcher watcher({borrowed}, events.callback(), options);
    ASSERT_EQ(world.ctl("insert ulla"), 0);
    ASSERT_TRUE(events.wait_for(1, 5s)) << "CKF_DONT_BLOCK polling reports the insertion";
    const auto start = std::chrono::steady_clock::now();
    watcher.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    EXPECT_TRUE(ours->owns_initialization());
    EXPECT_TRUE(module_answers(ours)) << "the module is still initialised for its other user";
}

TEST(SoftHsmWatcher, NoSlotEventsFallsBackToTheSlotListAndStopsPromptly) {
    sithsd::test::TestWorld world;
    auto module = Module::load(SITHSD_TEST_SOFTHSM_MODULE);
    Events events;
    CardWatcher::Options options;
    options.pcsc = false;
    CardWatcher watcher({module}, events.callback(), options);
    std::this_thread::sleep_for(200ms);
    const auto start = std::chrono::steady_clock::now();
    watcher.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    EXPECT_FALSE(module->supports_slot_events())
        << "SoftHSM2: a blocking wait is CKR_FUNCTION_NOT_SUPPORTED";
    EXPECT_TRUE(module->owns_initialization()) << "nothing blocked, so nothing was finalised";
    EXPECT_TRUE(module_answers(module));
    EXPECT_EQ(events.count(), 0);
}

}  // namespace
