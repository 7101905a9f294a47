// Insert and remove, slot events, injected faults, and many threads at once.
#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "tests/softcard/softcard_fixture.hpp"

namespace sithsd::softcard::test {
namespace {

using Clock = std::chrono::steady_clock;
CK_OBJECT_CLASS kPriv = CKO_PRIVATE_KEY;

TEST(SoftcardInsertRemove, SlotListAndPresenceFollowSoftcardCtl) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    ASSERT_EQ(world.ctl("insert ulla"), 0);
    EXPECT_EQ(m.slots(true), (std::vector<CK_SLOT_ID>{0, 1, 2, 3}));
    ASSERT_EQ(world.ctl("remove tolvan"), 0);
    EXPECT_EQ(m.slots(true), (std::vector<CK_SLOT_ID>{2, 3}));
    EXPECT_EQ(m.slots(false).size(), 16u);  // slot IDs never move
    CK_SLOT_INFO si{};
    ASSERT_EQ(m->C_GetSlotInfo(kTolvanId, &si), CKR_OK);
    EXPECT_FALSE(si.flags & CKF_TOKEN_PRESENT);
    EXPECT_NE(world.ctl_output("status").find("ulla      yes"), std::string::npos);
    ASSERT_EQ(world.ctl("reset"), 0);
    EXPECT_EQ(m.slots(true), (std::vector<CK_SLOT_ID>{0, 1}));
}

TEST(SoftcardInsertRemove, SessionsOfARemovedCardDie) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    CK_SESSION_HANDLE s = m.open(kTolvanId);
    ASSERT_EQ(m.login(s, CKU_USER, "123456"), CKR_OK);
    ASSERT_EQ(world.ctl("remove tolvan"), 0);
    CK_SESSION_INFO info{};
    EXPECT_EQ(m->C_GetSessionInfo(s, &info), CKR_DEVICE_REMOVED);
    EXPECT_EQ(m->C_FindObjectsInit(s, nullptr, 0), CKR_DEVICE_REMOVED);
    CK_TOKEN_INFO ti{};
    EXPECT_EQ(m->C_GetTokenInfo(kTolvanId, &ti), CKR_TOKEN_NOT_PRESENT);
    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
    EXPECT_EQ(m->C_OpenSession(kTolvanId, CKF_SERIAL_SESSION, nullptr, nullptr, &h),
              CKR_TOKEN_NOT_PRESENT);
    // Put back: the old session belonged to the earlier insertion; the new card is logged out.
    ASSERT_EQ(world.ctl("insert tolvan"), 0);
    EXPECT_EQ(m->C_GetSessionInfo(s, &info), CKR_SESSION_HANDLE_INVALID);
    CK_SESSION_HANDLE fresh = m.open(kTolvanId);
    ASSERT_EQ(m->C_GetSessionInfo(fresh, &info), CKR_OK);
    EXPECT_EQ(info.state, CKS_RO_PUBLIC_SESSION);
    EXPECT_EQ(m->C_CloseSession(s), CKR_OK);  // a dead session can still be closed
    // Pulled and put back between two calls: still a new card for the module.
    ASSERT_EQ(world.ctl("remove tolvan"), 0);
    ASSERT_EQ(world.ctl("insert tolvan"), 0);
    EXPECT_EQ(m->C_GetSessionInfo(fresh, &info), CKR_SESSION_HANDLE_INVALID);
}

TEST(SoftcardInsertRemove, WaitForSlotEventDontBlockReportsEachSlotOnce) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    CK_SLOT_ID slot = 99;
    EXPECT_EQ(m->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, nullptr), CKR_NO_EVENT);
    ASSERT_EQ(world.ctl("insert ulla"), 0);
    std::set<CK_SLOT_ID> seen;
    ASSERT_EQ(m->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, nullptr), CKR_OK);
    seen.insert(slot);
    ASSERT_EQ(m->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, nullptr), CKR_OK);
    seen.insert(slot);
    EXPECT_EQ(seen, (std::set<CK_SLOT_ID>{kUllaId, kUllaSign}));
    EXPECT_EQ(m->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, nullptr), CKR_NO_EVENT);
    ASSERT_EQ(world.ctl("remove tolvan"), 0);
    ASSERT_EQ(m->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, nullptr), CKR_OK);
    EXPECT_TRUE(slot == kTolvanId || slot == kTolvanSign);
}

TEST(SoftcardInsertRemove, BlockingWaitForSlotEventWakesOnInsertAndOnFinalize) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    auto waiter = std::async(std::launch::async, [&] {
        CK_SLOT_ID slot = 99;
        CK_RV rv = m->C_WaitForSlotEvent(0, &slot, nullptr);
        return std::pair{rv, slot};
    });
    // Still waiting: nothing happened yet.
    EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
    const auto start = Clock::now();
    ASSERT_EQ(world.ctl("insert soon"), 0);
    ASSERT_EQ(waiter.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    auto [rv, slot] = waiter.get();
    EXPECT_EQ(rv, CKR_OK);
    EXPECT_TRUE(slot == 14 || slot == 15);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));

    // C_Finalize ends a blocked wait with CKR_CRYPTOKI_NOT_INITIALIZED.
    CK_SLOT_ID drained = 0;
    EXPECT_EQ(m->C_WaitForSlotEvent(CKF_DONT_BLOCK, &drained, nullptr), CKR_OK);  // the other slot
    auto blocked = std::async(std::launch::async, [&] {
        CK_SLOT_ID s = 0;
        return m->C_WaitForSlotEvent(0, &s, nullptr);
    });
    EXPECT_EQ(blocked.wait_for(std::chrono::milliseconds(150)), std::future_status::timeout);
    EXPECT_EQ(m.finalize(), CKR_OK);
    ASSERT_EQ(blocked.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(blocked.get(), CKR_CRYPTOKI_NOT_INITIALIZED);
}

TEST(SoftcardFaults, DelayMakesSignaturesSlow) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    CK_SESSION_HANDLE s = m.open(kTolvanId);
    ASSERT_EQ(m.login(s, CKU_USER, "123456"), CKR_OK);
    CK_OBJECT_HANDLE key = m.find_one(s, kPriv, 0x01);
    ASSERT_EQ(world.ctl("delay tolvan 300"), 0);
    Bytes sig;
    const auto start = Clock::now();
    ASSERT_EQ(m.sign(s, {CKM_SHA256_RSA_PKCS, nullptr, 0}, key, text("x"), sig), CKR_OK);
    EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(300));
    EXPECT_TRUE(verify_with_certificate(world.card_file("tolvan", "id-hsa.pem"), "pkcs1", "SHA256",
                                        text("x"), sig));
    EXPECT_NE(world.ctl_output("status").find("300"), std::string::npos);
}

TEST(SoftcardFaults, DeviceErrorOnTheNextNCalls) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    CK_SESSION_HANDLE s = m.open(kTolvanId);
    ASSERT_EQ(world.ctl("fail tolvan 2"), 0);
    CK_TOKEN_INFO ti{};
    EXPECT_EQ(m->C_GetTokenInfo(kTolvanId, &ti), CKR_DEVICE_ERROR);
    EXPECT_EQ(m.login(s, CKU_USER, "123456"), CKR_DEVICE_ERROR);
    EXPECT_EQ(m->C_GetTokenInfo(kTolvanId, &ti), CKR_OK);
    EXPECT_EQ(ti.flags & CKF_USER_PIN_COUNT_LOW, 0u);  // the failed login tried no PIN
    EXPECT_EQ(m.login(s, CKU_USER, "123456"), CKR_OK);
    // Inside a signature the error ends the operation.
    CK_OBJECT_HANDLE key = m.find_one(s, kPriv, 0x01);
    CK_MECHANISM mech{CKM_SHA256_RSA_PKCS, nullptr, 0};
    ASSERT_EQ(m->C_SignInit(s, &mech, key), CKR_OK);
    ASSERT_EQ(world.ctl("fail tolvan 1"), 0);
    Bytes sig(256);
    CK_ULONG len = sig.size();
    EXPECT_EQ(m->C_Sign(s, sig.data(), 4, sig.data(), &len), CKR_DEVICE_ERROR);
    EXPECT_EQ(m->C_Sign(s, sig.data(), 4, sig.data(), &len), CKR_OPERATION_NOT_INITIALIZED);
    EXPECT_EQ(m.sign(s, mech, key, text("y"), sig), CKR_OK);
}

TEST(SoftcardFaults, RemovalDuringTheNextSign) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    CK_SESSION_HANDLE s = m.open(kTolvanSign);
    ASSERT_EQ(m.login(s, CKU_USER, "654321"), CKR_OK);
    CK_OBJECT_HANDLE key = m.find_one(s, kPriv, 0x02);
    ASSERT_EQ(world.ctl("remove-during-sign tolvan"), 0);
    Bytes sig;
    EXPECT_EQ(m.sign(s, {CKM_SHA256_RSA_PKCS, nullptr, 0}, key, text("z"), sig, "654321"),
              CKR_DEVICE_REMOVED);
    EXPECT_TRUE(m.slots(true).empty());
    CK_SESSION_INFO info{};
    EXPECT_EQ(m->C_GetSessionInfo(s, &info), CKR_DEVICE_REMOVED);
    EXPECT_NE(world.ctl_output("status").find("tolvan    no "), std::string::npos);
    // Once only: back in, the card signs again.
    ASSERT_EQ(world.ctl("insert tolvan"), 0);
    s = m.open(kTolvanSign);
    ASSERT_EQ(m.login(s, CKU_USER, "654321"), CKR_OK);
    EXPECT_EQ(m.sign(s, {CKM_SHA256_RSA_PKCS, nullptr, 0}, key, text("z"), sig, "654321"), CKR_OK);
}

TEST(SoftcardThreads, StateSharedWithSoftcardCtlLosesNoUpdate) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    CK_SESSION_HANDLE s = m.open(kTolvanId);
    // softcard-ctl rewrites tolvan's state again and again from another process while the
    // module counts PIN tries in the same file: the lock keeps every change of both.
    std::atomic<bool> stop{false};
    std::thread ctl([&] {
        for (int i = 0; !stop && i < 200; ++i) world.ctl("delay tolvan " + std::to_string(i % 2));
    });
    for (int round = 0; round < 10; ++round) {
        EXPECT_EQ(m.login(s, CKU_USER, "000000"), CKR_PIN_INCORRECT);
        EXPECT_EQ(m.login(s, CKU_USER, "000001"), CKR_PIN_INCORRECT);
        EXPECT_EQ(m.token_info(kTolvanId).flags & (CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED),
                  CKF_USER_PIN_FINAL_TRY)
            << "round " << round;
        EXPECT_EQ(m.login(s, CKU_USER, "123456"), CKR_OK);
        EXPECT_EQ(m->C_Logout(s), CKR_OK);
    }
    stop = true;
    ctl.join();
    EXPECT_EQ(m.token_info(kTolvanId).flags & CKF_USER_PIN_COUNT_LOW, 0u);
}

TEST(SoftcardThreads, ManyThreadsManySessionsSignAtOnce) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    ASSERT_EQ(world.ctl("insert ulla"), 0);
    CK_SESSION_HANDLE first = m.open(kTolvanId);
    ASSERT_EQ(m.login(first, CKU_USER, "123456"), CKR_OK);  // the token's login serves all sessions
    CK_SESSION_HANDLE first_sign = m.open(kUllaSign);
    ASSERT_EQ(m.login(first_sign, CKU_USER, "654321"), CKR_OK);
    std::atomic<int> good{0}, bad{0};
    // A watcher blocks in C_WaitForSlotEvent all the while: it must not hold up the signers.
    CK_SLOT_ID pending = 0;  // ulla's insertion: two events to take first
    while (m->C_WaitForSlotEvent(CKF_DONT_BLOCK, &pending, nullptr) == CKR_OK) {
    }
    auto watcher = std::async(std::launch::async, [&] {
        CK_SLOT_ID slot = 99;
        CK_RV rv = m->C_WaitForSlotEvent(0, &slot, nullptr);
        return std::pair{rv, slot};
    });
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            const bool ec = t % 2 == 1;  // half sign with ulla's always-authenticate EC key
            CK_SLOT_ID slot = ec ? kUllaSign : kTolvanId;
            CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
            if (m->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s) != CKR_OK) {
                ++bad;
                return;
            }
            CK_OBJECT_HANDLE key = m.find_one(s, kPriv, ec ? 0x02 : 0x01);
            const auto cert =
                world.card_file(ec ? "ulla" : "tolvan", ec ? "sign-hsa.pem" : "id-hsa.pem");
            for (int i = 0; i < 15; ++i) {
                Bytes data = text("thread " + std::to_string(t) + " message " + std::to_string(i));
                Bytes sig;
                CK_MECHANISM mech{ec ? CKM_ECDSA_SHA256 : CKM_SHA256_RSA_PKCS, nullptr, 0};
                CK_RV rv = m.sign(s, mech, key, data, sig, ec ? "654321" : nullptr);
                bool ok = rv == CKR_OK && verify_with_certificate(cert, ec ? "ecdsa" : "pkcs1",
                                                                  "SHA256", data, sig);
                ok ? ++good : ++bad;
                CK_TOKEN_INFO ti{};
                if (m->C_GetTokenInfo(slot, &ti) != CKR_OK) ++bad;
            }
            m->C_CloseSession(s);
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(watcher.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
    ASSERT_EQ(world.ctl("insert nysign"), 0);
    ASSERT_EQ(watcher.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(watcher.get(), (std::pair<CK_RV, CK_SLOT_ID>{CKR_OK, kNysignId}));
    EXPECT_EQ(good.load(), 8 * 15);
    EXPECT_EQ(bad.load(), 0);
    // No PIN try was lost or invented on the way.
    EXPECT_EQ(m.token_info(kUllaSign).flags & CKF_USER_PIN_COUNT_LOW, 0u);
}

}  // namespace
}  // namespace sithsd::softcard::test
