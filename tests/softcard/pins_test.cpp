// PINs like a card's: retry counters in the state file, token flags, blocking, PUK, C_SetPIN,
// the `locked` card, the PIN pad.
#include "tests/softcard/softcard_fixture.hpp"

namespace sithsd::softcard::test {
namespace {

constexpr CK_FLAGS kPinFlags =
    CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED;

TEST(SoftcardPins, WrongPinsCountDownFlagsFollowAndZeroBlocks) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    CK_SESSION_HANDLE s = m.open(kTolvanId);
    EXPECT_EQ(m.token_info(kTolvanId).flags & kPinFlags, 0u);
    EXPECT_EQ(m.login(s, CKU_USER, "111111"), CKR_PIN_INCORRECT);
    EXPECT_EQ(m.token_info(kTolvanId).flags & kPinFlags, CKF_USER_PIN_COUNT_LOW);
    EXPECT_EQ(m.login(s, CKU_USER, "1234567"), CKR_PIN_INCORRECT);
    EXPECT_EQ(m.token_info(kTolvanId).flags & kPinFlags,
              CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
    // The other token's PIN is a PIN of its own.
    EXPECT_EQ(m.token_info(kTolvanSign).flags & kPinFlags, 0u);
    EXPECT_EQ(m.login(s, CKU_USER, "000000"), CKR_PIN_INCORRECT);
    EXPECT_EQ(m.token_info(kTolvanId).flags & kPinFlags, CKF_USER_PIN_LOCKED);
    // Blocked: the right PIN does not help, and is not even looked at.
    EXPECT_EQ(m.login(s, CKU_USER, "123456"), CKR_PIN_LOCKED);
    CK_SESSION_INFO info{};
    ASSERT_EQ(m->C_GetSessionInfo(s, &info), CKR_OK);
    EXPECT_EQ(info.state, CKS_RO_PUBLIC_SESSION);
    // The counter is in the state file: another process (softcard-ctl) and a new C_Initialize see
    // it.
    EXPECT_NE(world.ctl_output("status").find("tolvan    yes       0         3 "),
              std::string::npos);
    ASSERT_EQ(m.finalize(), CKR_OK);
    ASSERT_EQ(m.initialize(), CKR_OK);
    EXPECT_TRUE(m.token_info(kTolvanId).flags & CKF_USER_PIN_LOCKED);
}

TEST(SoftcardPins, RightPinResetsTheCounter) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    CK_SESSION_HANDLE s = m.open(kTolvanSign);
    EXPECT_EQ(m.login(s, CKU_USER, "111111"), CKR_PIN_INCORRECT);
    EXPECT_EQ(m.login(s, CKU_USER, "111111"), CKR_PIN_INCORRECT);
    EXPECT_EQ(m.login(s, CKU_USER, "654321"), CKR_OK);
    EXPECT_EQ(m.token_info(kTolvanSign).flags & kPinFlags, 0u);
    EXPECT_EQ(m.login(s, CKU_USER, "654321"), CKR_USER_ALREADY_LOGGED_IN);
    EXPECT_EQ(m.login(s, CKU_SO, "12345678"), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
    EXPECT_EQ(m.login(s, 77, "654321"), CKR_USER_TYPE_INVALID);
}

TEST(SoftcardPins, PukUnblocksThroughSoLoginAndInitPin) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    // The `locked` card: identification PIN blocked, signing PIN on its final try.
    ASSERT_EQ(world.ctl("insert locked"), 0);
    EXPECT_EQ(m.token_info(kLockedId).flags & kPinFlags, CKF_USER_PIN_LOCKED);
    EXPECT_EQ(m.token_info(kLockedSign).flags & kPinFlags,
              CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
    CK_SESSION_HANDLE ro = m.open(kLockedId);
    EXPECT_EQ(m.login(ro, CKU_USER, "123456"), CKR_PIN_LOCKED);
    // The SO may not log in while a read-only session is open.
    EXPECT_EQ(m.login(ro, CKU_SO, "12345678"), CKR_SESSION_READ_ONLY_EXISTS);
    ASSERT_EQ(m->C_CloseSession(ro), CKR_OK);
    CK_SESSION_HANDLE s = m.open(kLockedId, true);
    EXPECT_EQ(m->C_InitPIN(s, reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>("112233")), 6),
              CKR_USER_NOT_LOGGED_IN);
    EXPECT_EQ(m.login(s, CKU_SO, "87654321"), CKR_PIN_INCORRECT);  // costs a PUK try
    EXPECT_TRUE(m.token_info(kLockedId).flags & CKF_SO_PIN_COUNT_LOW);
    ASSERT_EQ(m.login(s, CKU_SO, "12345678"), CKR_OK);
    CK_SESSION_INFO info{};
    ASSERT_EQ(m->C_GetSessionInfo(s, &info), CKR_OK);
    EXPECT_EQ(info.state, CKS_RW_SO_FUNCTIONS);
    EXPECT_EQ(m->C_InitPIN(s, reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>("12")), 2),
              CKR_PIN_LEN_RANGE);
    ASSERT_EQ(m->C_InitPIN(s, reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>("112233")), 6),
              CKR_OK);
    ASSERT_EQ(m->C_Logout(s), CKR_OK);
    EXPECT_EQ(m.token_info(kLockedId).flags & kPinFlags, 0u);
    EXPECT_EQ(m.login(s, CKU_USER, "123456"), CKR_PIN_INCORRECT);  // the old PIN is gone
    EXPECT_EQ(m.login(s, CKU_USER, "112233"), CKR_OK);
}

TEST(SoftcardPins, SetPinChangesThePin) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    auto pin = [](const char* p) { return reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(p)); };
    CK_SESSION_HANDLE ro = m.open(kTolvanId);
    EXPECT_EQ(m->C_SetPIN(ro, pin("123456"), 6, pin("246810"), 6), CKR_SESSION_READ_ONLY);
    CK_SESSION_HANDLE s = m.open(kTolvanId, true);
    EXPECT_EQ(m->C_SetPIN(s, pin("999999"), 6, pin("246810"), 6), CKR_PIN_INCORRECT);
    EXPECT_TRUE(m.token_info(kTolvanId).flags & CKF_USER_PIN_COUNT_LOW);
    EXPECT_EQ(m->C_SetPIN(s, pin("123456"), 6, pin("246"), 3), CKR_PIN_LEN_RANGE);
    ASSERT_EQ(m->C_SetPIN(s, pin("123456"), 6, pin("246810"), 6), CKR_OK);
    EXPECT_EQ(m.token_info(kTolvanId).flags & kPinFlags, 0u);
    EXPECT_EQ(m.login(s, CKU_USER, "123456"), CKR_PIN_INCORRECT);
    EXPECT_EQ(m.login(s, CKU_USER, "246810"), CKR_OK);
    // softcard-ctl reset brings back card.json's PIN.
    ASSERT_EQ(m->C_CloseAllSessions(kTolvanId), CKR_OK);
    ASSERT_EQ(world.ctl("reset"), 0);
    s = m.open(kTolvanId);
    EXPECT_EQ(m.login(s, CKU_USER, "123456"), CKR_OK);
}

TEST(SoftcardPins, PinPadLoginWithNullPin) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    ASSERT_EQ(world.ctl("insert pinpad"), 0);
    EXPECT_TRUE(m.token_info(kPinpadId).flags & CKF_PROTECTED_AUTHENTICATION_PATH);
    EXPECT_FALSE(m.token_info(kTolvanId).flags & CKF_PROTECTED_AUTHENTICATION_PATH);
    CK_SESSION_HANDLE tolvan = m.open(kTolvanId);
    EXPECT_EQ(m->C_Login(tolvan, CKU_USER, nullptr, 0), CKR_ARGUMENTS_BAD);  // no PIN pad there

    CK_SESSION_HANDLE s = m.open(kPinpadId);
    ASSERT_EQ(world.ctl("pinpad pinpad cancel"), 0);
    EXPECT_EQ(m->C_Login(s, CKU_USER, nullptr, 0), CKR_FUNCTION_CANCELED);
    EXPECT_EQ(m.token_info(kPinpadId).flags & kPinFlags, 0u);  // a cancel costs nothing
    ASSERT_EQ(world.ctl("pinpad pinpad wrong"), 0);
    EXPECT_EQ(m->C_Login(s, CKU_USER, nullptr, 0), CKR_PIN_INCORRECT);
    EXPECT_EQ(m.token_info(kPinpadId).flags & kPinFlags, CKF_USER_PIN_COUNT_LOW);
    ASSERT_EQ(world.ctl("pinpad pinpad ok"), 0);
    EXPECT_EQ(m->C_Login(s, CKU_USER, nullptr, 0), CKR_OK);
    EXPECT_EQ(m.token_info(kPinpadId).flags & kPinFlags, 0u);
    EXPECT_EQ(m.find(s, {}).size(),
              4u);  // key, certificate, public key, the issuing CA's certificate
}

TEST(SoftcardPins, CtlValidatesItsArguments) {
    PrivateWorld world;
    EXPECT_EQ(world.ctl("insert nobody 2>/dev/null"), 2);
    EXPECT_EQ(world.ctl("pinpad pinpad maybe 2>/dev/null"), 2);
    EXPECT_EQ(world.ctl("fail tolvan many 2>/dev/null"), 2);
    EXPECT_EQ(world.ctl("tries tolvan signing 0"), 0);
    EXPECT_NE(world.ctl_output("status").find("tolvan    yes       3         0 "),
              std::string::npos);
}

}  // namespace
}  // namespace sithsd::softcard::test
