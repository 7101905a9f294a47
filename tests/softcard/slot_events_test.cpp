// A blocking C_WaitForSlotEvent sleeps on inotify (softcard.json) and an eventfd (C_Finalize):
// woken by softcard-ctl within well under the 2 s backstop, not by other files of the world, and
// ended by C_Finalize at once.
#include <future>

#include "tests/softcard/softcard_fixture.hpp"

namespace sithsd::softcard::test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

auto blocking_wait(LoadedModule& m) {
    return std::async(std::launch::async, [&m] {
        CK_SLOT_ID slot = 99;
        CK_RV rv = m->C_WaitForSlotEvent(0, &slot, nullptr);
        return std::pair{rv, slot};
    });
}

TEST(SoftcardSlotEvents, InotifyWakesOnRemoveAndInsert) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    for (const char* command : {"remove tolvan", "insert tolvan"}) {
        SCOPED_TRACE(command);
        auto waiter = blocking_wait(m);
        ASSERT_EQ(waiter.wait_for(100ms), std::future_status::timeout) << "nothing happened yet";
        const auto start = Clock::now();
        ASSERT_EQ(world.ctl(command), 0);
        ASSERT_EQ(waiter.wait_for(1500ms), std::future_status::ready)
            << "not woken by the change of softcard.json";
        const auto [rv, slot] = waiter.get();
        EXPECT_EQ(rv, CKR_OK);
        EXPECT_TRUE(slot == 0 || slot == 1);
        EXPECT_LT(Clock::now() - start, 1500ms);
        CK_SLOT_ID other = 99;
        EXPECT_EQ(m->C_WaitForSlotEvent(CKF_DONT_BLOCK, &other, nullptr), CKR_OK);
        EXPECT_EQ(slot + other, 1u) << "the card's other slot";
    }
}

TEST(SoftcardSlotEvents, OtherFilesOfTheWorldAreNoEvent) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    auto waiter = blocking_wait(m);
    // The state file (PIN counters, faults) changes next to softcard.json: no slot event.
    ASSERT_EQ(world.ctl("tries tolvan identification 2"), 0);
    ASSERT_EQ(world.ctl("delay tolvan 0"), 0);
    EXPECT_EQ(waiter.wait_for(300ms), std::future_status::timeout);
    EXPECT_EQ(m.finalize(), CKR_OK);
    ASSERT_EQ(waiter.wait_for(1s), std::future_status::ready);
    EXPECT_EQ(waiter.get().first, CKR_CRYPTOKI_NOT_INITIALIZED);
}

TEST(SoftcardSlotEvents, FinalizeEndsEveryWaitAtOnce) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    auto first = blocking_wait(m);
    auto second = blocking_wait(m);
    ASSERT_EQ(first.wait_for(100ms), std::future_status::timeout);
    const auto start = Clock::now();
    EXPECT_EQ(m.finalize(), CKR_OK);
    EXPECT_LT(Clock::now() - start, 1s) << "C_Finalize waits for the waiters, which wake at once";
    ASSERT_EQ(first.wait_for(1s), std::future_status::ready);
    ASSERT_EQ(second.wait_for(1s), std::future_status::ready);
    EXPECT_EQ(first.get().first, CKR_CRYPTOKI_NOT_INITIALIZED);
    EXPECT_EQ(second.get().first, CKR_CRYPTOKI_NOT_INITIALIZED);
    // And the module starts again, with a fresh wake-up.
    ASSERT_EQ(m.initialize(), CKR_OK);
    auto again = blocking_wait(m);
    ASSERT_EQ(world.ctl("insert ulla"), 0);
    ASSERT_EQ(again.wait_for(1500ms), std::future_status::ready);
    EXPECT_EQ(again.get().first, CKR_OK);
}

}  // namespace
}  // namespace sithsd::softcard::test
