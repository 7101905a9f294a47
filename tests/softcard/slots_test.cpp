// Library, slots, tokens and mechanisms, as TESTWORLD.md describes them.
#include <cstring>
#include <fstream>
#include <string>

#include "tests/softcard/softcard_fixture.hpp"

namespace sithsd::softcard::test {
namespace {

std::string field(const unsigned char* p, size_t n) {
    return std::string(reinterpret_cast<const char*>(p), n);
}

std::string padded(const std::string& s, size_t n) {
    return s + std::string(n - s.size(), ' ');
}

TEST(SoftcardLibrary, InitializeTwiceFinalizeAndLockingArguments) {
    PrivateWorld world;
    LoadedModule m(world);
    EXPECT_EQ(m->version.major, 2);
    EXPECT_EQ(m->version.minor, 40);
    EXPECT_EQ(m.initialize(), CKR_OK);
    EXPECT_EQ(m.initialize(), CKR_CRYPTOKI_ALREADY_INITIALIZED);
    CK_INFO info{};
    EXPECT_EQ(m->C_GetInfo(&info), CKR_OK);
    EXPECT_EQ(field(info.manufacturerID, 32), padded("sithsd softcard", 32));
    EXPECT_EQ(m.finalize(), CKR_OK);
    EXPECT_EQ(m.finalize(), CKR_CRYPTOKI_NOT_INITIALIZED);
    CK_ULONG n = 0;
    EXPECT_EQ(m->C_GetSlotList(CK_FALSE, nullptr, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
    // Application mutexes without CKF_OS_LOCKING_OK: this module only locks with the OS's.
    CK_C_INITIALIZE_ARGS args{};
    args.CreateMutex = [](void**) -> CK_RV { return CKR_OK; };
    args.DestroyMutex = [](void*) -> CK_RV { return CKR_OK; };
    args.LockMutex = [](void*) -> CK_RV { return CKR_OK; };
    args.UnlockMutex = [](void*) -> CK_RV { return CKR_OK; };
    EXPECT_EQ(m->C_Initialize(&args), CKR_CANT_LOCK);
    args.flags = CKF_OS_LOCKING_OK;
    EXPECT_EQ(m->C_Initialize(&args), CKR_OK);
    EXPECT_EQ(m.finalize(), CKR_OK);
    EXPECT_EQ(m->C_Initialize(nullptr), CKR_OK);  // no arguments: fine too
}

TEST(SoftcardLibrary, WithoutConfigurationInitializeFails) {
    PrivateWorld world;
    LoadedModule m(world);
    unsetenv("SOFTCARD_CONF");
    EXPECT_EQ(m.initialize(), CKR_GENERAL_ERROR);
    setenv("SOFTCARD_CONF", (world.dir() / "missing.json").c_str(), 1);
    EXPECT_EQ(m.initialize(), CKR_GENERAL_ERROR);
}

TEST(SoftcardLibrary, UnreadableCardsAreRefused) {
    PrivateWorld world;
    // soon's key is damaged: inserting it shows no token (a card that cannot be read is none).
    { std::ofstream(world.card_file("soon", "id-hsa.key")) << "not a key"; }
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    ASSERT_EQ(world.ctl("insert soon"), 0);
    EXPECT_EQ(m.slots(true), (std::vector<CK_SLOT_ID>{kTolvanId, kTolvanSign}));
    // Inserted from the start, it makes C_Initialize fail loudly.
    ASSERT_EQ(m.finalize(), CKR_OK);
    EXPECT_EQ(m.initialize(), CKR_GENERAL_ERROR);
}

TEST(SoftcardSlots, TwoStableSlotsPerCardAndOnlyInsertedOnesPresent) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    auto all = m.slots(false);
    ASSERT_EQ(all.size(), 16u);  // eight cards
    for (CK_SLOT_ID i = 0; i < 16; ++i) EXPECT_EQ(all[i], i);
    EXPECT_EQ(m.slots(true), (std::vector<CK_SLOT_ID>{kTolvanId, kTolvanSign}));

    CK_SLOT_INFO si{};
    ASSERT_EQ(m->C_GetSlotInfo(kTolvanSign, &si), CKR_OK);
    EXPECT_EQ(field(si.slotDescription, 64), padded("Softcard reader 0", 64));
    EXPECT_EQ(field(si.manufacturerID, 32), padded("sithsd softcard", 32));
    EXPECT_TRUE(si.flags & CKF_TOKEN_PRESENT);
    EXPECT_TRUE(si.flags & CKF_REMOVABLE_DEVICE);
    ASSERT_EQ(m->C_GetSlotInfo(kUllaId, &si), CKR_OK);
    EXPECT_FALSE(si.flags & CKF_TOKEN_PRESENT);
    EXPECT_EQ(m->C_GetSlotInfo(16, &si), CKR_SLOT_ID_INVALID);

    CK_TOKEN_INFO ti{};
    EXPECT_EQ(m->C_GetTokenInfo(kUllaId, &ti), CKR_TOKEN_NOT_PRESENT);
    EXPECT_EQ(m->C_GetTokenInfo(99, &ti), CKR_SLOT_ID_INVALID);

    // The buffer protocol of C_GetSlotList.
    CK_SLOT_ID one[1];
    CK_ULONG n = 1;
    EXPECT_EQ(m->C_GetSlotList(CK_FALSE, one, &n), CKR_BUFFER_TOO_SMALL);
    EXPECT_EQ(n, 16u);
}

TEST(SoftcardSlots, TokenLabelsSerialAndFlags) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    CK_TOKEN_INFO id = m.token_info(kTolvanId);
    CK_TOKEN_INFO sign = m.token_info(kTolvanSign);
    EXPECT_EQ(field(id.label, 32), padded("Tolvan Tolvansson (legitimering)", 32));
    EXPECT_EQ(field(sign.label, 32), padded("Tolvan Tolvansson (underskrift)", 32));
    EXPECT_EQ(field(id.serialNumber, 16), "9752270000000001");
    EXPECT_EQ(field(sign.serialNumber, 16), "9752270000000001");
    EXPECT_EQ(field(id.manufacturerID, 32), padded("sithsd softcard", 32));
    const CK_FLAGS want = CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED;
    EXPECT_EQ(id.flags & want, want);
    EXPECT_FALSE(id.flags &
                 (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED));
    EXPECT_FALSE(id.flags & CKF_PROTECTED_AUTHENTICATION_PATH);

    // Ulla: UTF-8 holder name, the second card's serial.
    ASSERT_EQ(world.ctl("insert ulla"), 0);
    CK_TOKEN_INFO ulla = m.token_info(kUllaSign);
    EXPECT_EQ(field(ulla.label, 32), padded("Ulla \xc3\x84lvsdotter (underskrift)", 32));
    EXPECT_EQ(field(ulla.serialNumber, 16), "9752270000000002");
}

TEST(SoftcardSlots, MechanismsFollowTheCardsKeys) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    ASSERT_EQ(world.ctl("insert ulla"), 0);
    auto list = [&](CK_SLOT_ID slot) {
        CK_ULONG n = 0;
        EXPECT_EQ(m->C_GetMechanismList(slot, nullptr, &n), CKR_OK);
        std::vector<CK_MECHANISM_TYPE> v(n);
        EXPECT_EQ(m->C_GetMechanismList(slot, v.data(), &n), CKR_OK);
        return v;
    };
    EXPECT_EQ(list(kTolvanSign), (std::vector<CK_MECHANISM_TYPE>{
                                     CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_SHA384_RSA_PKCS,
                                     CKM_SHA512_RSA_PKCS, CKM_RSA_PKCS_PSS}));
    EXPECT_EQ(list(kUllaId), (std::vector<CK_MECHANISM_TYPE>{CKM_ECDSA, CKM_ECDSA_SHA256,
                                                             CKM_ECDSA_SHA384, CKM_ECDSA_SHA512}));
    CK_MECHANISM_INFO info{};
    ASSERT_EQ(m->C_GetMechanismInfo(kTolvanId, CKM_SHA256_RSA_PKCS, &info), CKR_OK);
    EXPECT_TRUE(info.flags & CKF_SIGN);
    EXPECT_LE(info.ulMinKeySize, 2048u);
    EXPECT_GE(info.ulMaxKeySize, 2048u);
    ASSERT_EQ(m->C_GetMechanismInfo(kUllaId, CKM_ECDSA, &info), CKR_OK);
    EXPECT_TRUE(info.flags & CKF_EC_NAMEDCURVE);
    EXPECT_EQ(m->C_GetMechanismInfo(kTolvanId, CKM_ECDSA, &info), CKR_MECHANISM_INVALID);
    EXPECT_EQ(m->C_GetMechanismInfo(kNysignId, CKM_RSA_PKCS, &info), CKR_TOKEN_NOT_PRESENT);
}

TEST(SoftcardSlots, SessionsAndTheirState) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
    EXPECT_EQ(m->C_OpenSession(kTolvanId, 0, nullptr, nullptr, &h),
              CKR_SESSION_PARALLEL_NOT_SUPPORTED);
    EXPECT_EQ(m->C_OpenSession(kUllaId, CKF_SERIAL_SESSION, nullptr, nullptr, &h),
              CKR_TOKEN_NOT_PRESENT);
    CK_SESSION_HANDLE ro = m.open(kTolvanId);
    CK_SESSION_HANDLE rw = m.open(kTolvanId, true);
    CK_SESSION_INFO info{};
    ASSERT_EQ(m->C_GetSessionInfo(ro, &info), CKR_OK);
    EXPECT_EQ(info.slotID, kTolvanId);
    EXPECT_EQ(info.state, CKS_RO_PUBLIC_SESSION);
    ASSERT_EQ(m.login(rw, CKU_USER, "123456"), CKR_OK);
    // Login state belongs to the token: every session of the slot sees it.
    ASSERT_EQ(m->C_GetSessionInfo(ro, &info), CKR_OK);
    EXPECT_EQ(info.state, CKS_RO_USER_FUNCTIONS);
    ASSERT_EQ(m->C_GetSessionInfo(rw, &info), CKR_OK);
    EXPECT_EQ(info.state, CKS_RW_USER_FUNCTIONS);
    EXPECT_EQ(m.token_info(kTolvanId).ulSessionCount, 2u);
    EXPECT_EQ(m.token_info(kTolvanId).ulRwSessionCount, 1u);
    // The other slot of the card is another token, not logged in.
    CK_SESSION_HANDLE other = m.open(kTolvanSign);
    ASSERT_EQ(m->C_GetSessionInfo(other, &info), CKR_OK);
    EXPECT_EQ(info.state, CKS_RO_PUBLIC_SESSION);
    EXPECT_EQ(m->C_CloseSession(ro), CKR_OK);
    EXPECT_EQ(m->C_CloseSession(ro), CKR_SESSION_HANDLE_INVALID);
    EXPECT_EQ(m->C_CloseSession(rw), CKR_OK);
    // Closing the last session logged the token out.
    CK_SESSION_HANDLE again = m.open(kTolvanId);
    ASSERT_EQ(m->C_GetSessionInfo(again, &info), CKR_OK);
    EXPECT_EQ(info.state, CKS_RO_PUBLIC_SESSION);
    EXPECT_EQ(m->C_CloseAllSessions(kTolvanId), CKR_OK);
    EXPECT_EQ(m->C_GetSessionInfo(again, &info), CKR_SESSION_HANDLE_INVALID);
    CK_BYTE random[16] = {};
    EXPECT_EQ(m->C_GenerateRandom(other, random, sizeof random), CKR_OK);
    // What a card cannot do.
    EXPECT_EQ(m->C_DigestInit(other, nullptr), CKR_FUNCTION_NOT_SUPPORTED);
    EXPECT_EQ(m->C_CreateObject(other, nullptr, 0, nullptr), CKR_FUNCTION_NOT_SUPPORTED);
}

}  // namespace
}  // namespace sithsd::softcard::test
