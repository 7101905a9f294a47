// Card access through a real PKCS#11 module: the soft card (label pkcs11) and SoftHSM2 (label
// softhsm) run the same tests where SoftHSM2 can do what is tested; the soft card alone can block
// PINs, pull cards and emulate PIN pads (tests named Softcard*).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <thread>
#include <tuple>

#include "pkcs11/card_error.hpp"
#include "pkcs11/card_set.hpp"
#include "pkcs11/card_watcher.hpp"
#include "test_world.hpp"

using namespace sithsd;
using namespace sithsd::pkcs11;
using sithsd::test::Backend;

namespace {

std::vector<std::uint8_t> sha(HashAlgorithm hash, const std::string& text) {
    const EVP_MD* md = hash == HashAlgorithm::sha384   ? EVP_sha384()
                       : hash == HashAlgorithm::sha512 ? EVP_sha512()
                                                       : EVP_sha256();
    std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
    unsigned int length = 0;
    EVP_Digest(text.data(), text.size(), out.data(), &length, md, nullptr);
    out.resize(length);
    return out;
}

// Verifies a signature over a digest with the certificate's public key (OpenSSL, not the card).
bool verifies(const CertificateInfo& cert, const SignatureRequest& req,
              const std::vector<std::uint8_t>& signature) {
    const unsigned char* p = cert.der.data();
    X509* x509 = d2i_X509(nullptr, &p, static_cast<long>(cert.der.size()));
    EVP_PKEY* key = X509_get_pubkey(x509);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
    EVP_PKEY_verify_init(ctx);
    const EVP_MD* md = req.hash == HashAlgorithm::sha384   ? EVP_sha384()
                       : req.hash == HashAlgorithm::sha512 ? EVP_sha512()
                                                           : EVP_sha256();
    std::vector<std::uint8_t> sig = signature;
    if (req.scheme == SignatureScheme::ecdsa) {
        if (!req.ecdsa_der) sig = ecdsa_raw_to_der(signature);
    } else {
        EVP_PKEY_CTX_set_rsa_padding(ctx, req.scheme == SignatureScheme::rsa_pss
                                              ? RSA_PKCS1_PSS_PADDING
                                              : RSA_PKCS1_PADDING);
        if (req.scheme == SignatureScheme::rsa_pss)
            EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST);
    }
    EVP_PKEY_CTX_set_signature_md(ctx, md);
    bool ok =
        EVP_PKEY_verify(ctx, sig.data(), sig.size(), req.digest.data(), req.digest.size()) == 1;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    X509_free(x509);
    return ok;
}

class CardAccess : public ::testing::Test {
  protected:
    void SetUp() override {
        module = Module::load(sithsd::test::module_path());
        cards = std::make_unique<CardSet>(std::vector{module});
        cards->refresh();
    }
    void TearDown() override {
        cards.reset();
        module.reset();
    }

    // The certificate of that purpose whose subject serialNumber is `serial`.
    CardCertificate cert(Purpose purpose,
                         const std::string& serial = "SE5560000001-P000000000001") {
        for (const auto& card : cards->cards())
            for (const auto& c : card.certificates)
                if (c.info.purpose == purpose && c.info.subject_serial_number == serial) return c;
        throw std::runtime_error("no such certificate on the inserted cards");
    }

    SignatureRequest request(const CardCertificate& c,
                             SignatureScheme scheme = SignatureScheme::rsa_pkcs1,
                             HashAlgorithm hash = HashAlgorithm::sha256) {
        SignatureRequest req;
        req.certificate_id = c.info.certificate_id;
        req.hash = hash;
        req.digest = sha(hash, "Attest av beställning VMU3000096");
        req.scheme = c.info.key_type == KeyAlgorithm::ec ? SignatureScheme::ecdsa : scheme;
        return req;
    }

    CardInfo card_holding(const CardCertificate& c) {
        for (const auto& card : cards->cards())
            if (card.card_id == c.card_id) return card;
        throw std::runtime_error("card not found");
    }

    bool softhsm() const { return sithsd::test::backend() == Backend::softhsm; }

    sithsd::test::TestWorld world;  // first: the module reads its configuration from the copy
    std::shared_ptr<Module> module;
    std::unique_ptr<CardSet> cards;
};

Secret pin(const char* text) {
    return Secret(text);
}

}  // namespace

TEST(Modules, MissingModuleNamesEveryPathTried) {
    try {
        Module::find({"/nonexistent/libiidp11.so", "/also/missing/opensc-pkcs11.so"});
        FAIL() << "no error";
    } catch (const CardError& e) {
        EXPECT_EQ(e.reason(), CardErrorReason::module_error);
        EXPECT_NE(std::string(e.what()).find("/nonexistent/libiidp11.so"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("/also/missing/opensc-pkcs11.so"), std::string::npos);
    }
    EXPECT_THROW(Module::load("/nonexistent/module.so"), CardError);
    auto defaults = Module::default_candidates("/home/vera");
    ASSERT_GE(defaults.size(), 4u);
    EXPECT_EQ(defaults[0], "/home/vera/.iid/lib/libiidp11.so");
    // Every place of docs/REAL-CARDS.md, and every Net iD place before any OpenSC one.
    auto at = [&](const std::string& path) {
        return std::find(defaults.begin(), defaults.end(), path) - defaults.begin();
    };
    const auto size = static_cast<std::ptrdiff_t>(defaults.size());
    for (const char* netid :
         {"/usr/lib/x86_64-linux-gnu/libiidp11.so", "/usr/lib64/libiidp11.so",
          "/usr/lib/libiidp11.so", "/usr/local/lib/libiidp11.so", "/opt/iid/lib/libiidp11.so"}) {
        EXPECT_LT(at(netid), size) << netid;
        EXPECT_LT(at(netid), at("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so")) << netid;
    }
    for (const char* opensc : {"/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so",
                               "/usr/lib64/pkcs11/opensc-pkcs11.so", "/usr/lib/opensc-pkcs11.so"})
        EXPECT_LT(at(opensc), size) << opensc;
}

TEST(Modules, NotAModule) {
    try {
        Module::load("libc.so.6");
        FAIL() << "no error";
    } catch (const CardError& e) {
        EXPECT_NE(std::string(e.what()).find("C_GetFunctionList"), std::string::npos);
    }
}

TEST_F(CardAccess, LoadingTwiceAcceptsAlreadyInitialized) {
    // A second owner of the same module (dlopen returns the same handle) gets
    // CKR_CRYPTOKI_ALREADY_INITIALIZED and must accept it.
    auto again = Module::load(sithsd::test::module_path());
    CardSet other({again});
    other.refresh();
    EXPECT_EQ(other.cards().size(), cards->cards().size());
}

TEST_F(CardAccess, TolvanIsFoundWithHerIdentities) {
    auto id = cert(Purpose::identification);
    EXPECT_EQ(id.info.hsa_id.value_or(""), "SE5560000001-P000000000001");
    EXPECT_FALSE(id.info.personal_identity_number);
    EXPECT_EQ(id.info.given_name, "Tolvan");
    EXPECT_EQ(id.info.surname, "Tolvansson");
    EXPECT_EQ(id.info.common_name, "Tolvan Tolvansson");
    EXPECT_EQ(id.info.organization, "Testregionen Västra");
    EXPECT_EQ(id.info.display_name(), "Tolvan Tolvansson, Testregionen Västra");
    EXPECT_EQ(id.info.issuer, "TEST SITHS e-id Person HSA-id 3 CA v1");
    EXPECT_EQ(id.info.key_algorithm, "RSA-2048");
    EXPECT_GT(id.info.days_left(std::chrono::system_clock::now()), 1000);
    EXPECT_EQ(id.info.certificate_id.size(), 32u);
    EXPECT_EQ(id.cka_id, std::vector<std::uint8_t>{0x01});

    auto sign = cert(Purpose::signing);
    EXPECT_EQ(sign.cka_id, std::vector<std::uint8_t>{0x02});
    auto pnr = cert(Purpose::identification, "191212121212");
    EXPECT_EQ(pnr.info.personal_identity_number.value_or(""), "191212121212");
    EXPECT_FALSE(pnr.info.hsa_id);
    EXPECT_EQ(pnr.info.issuer, "TEST SITHS e-id Person ID 3 CA v1");
    EXPECT_EQ(cert(Purpose::signing, "191212121212").cka_id, std::vector<std::uint8_t>{0x04});
    // Stable: the same id after a second enumeration.
    cards->refresh();
    EXPECT_EQ(cert(Purpose::identification).info.certificate_id, id.info.certificate_id);
    EXPECT_EQ(cards->certificate(id.info.certificate_id)->info.common_name, "Tolvan Tolvansson");
}

TEST_F(CardAccess, PinStatusFromTokenFlags) {
    auto id = card_holding(cert(Purpose::identification));
    ASSERT_TRUE(id.identification);
    EXPECT_EQ(id.identification->status, PinStatus::ok);
    EXPECT_FALSE(id.identification->pin_pad);
    EXPECT_EQ(cards->pin_info(id.card_id, PinKind::identification).status, PinStatus::ok);
    auto signing = card_holding(cert(Purpose::signing));
    ASSERT_TRUE(signing.signing);
    EXPECT_EQ(signing.signing->status, PinStatus::ok);
}

TEST_F(CardAccess, IdentificationSignatureVerifiesPkcs1AndPss) {
    auto c = cert(Purpose::identification);
    for (auto hash : {HashAlgorithm::sha256, HashAlgorithm::sha384, HashAlgorithm::sha512}) {
        for (auto scheme : {SignatureScheme::rsa_pkcs1, SignatureScheme::rsa_pss}) {
            auto req = request(c, scheme, hash);
            auto signature = cards->sign(req, pin("123456"));
            EXPECT_EQ(signature.size(), 256u);
            EXPECT_TRUE(verifies(c.info, req, signature));
        }
    }
}

TEST_F(CardAccess, SignatureKeyWithAlwaysAuthenticate) {
    // The signing slot: login with the signing PIN, C_SignInit, context-specific login, C_Sign.
    auto c = cert(Purpose::signing);
    auto req = request(c);
    auto first = cards->sign(req, pin("654321"));
    EXPECT_TRUE(verifies(c.info, req, first));
    // Every signature again, with its own context-specific login.
    auto second = cards->sign(req, pin("654321"));
    EXPECT_TRUE(verifies(c.info, req, second));
}

TEST_F(CardAccess, TheTwoPinsAreNotInterchangeable) {
    // The identification PIN does not open the signing slot, and the other way round.
    try {
        cards->sign(request(cert(Purpose::signing)), pin("123456"));
        FAIL() << "signing PIN slot accepted the identification PIN";
    } catch (const CardError& e) {
        EXPECT_EQ(e.reason(), CardErrorReason::pin_incorrect);
    }
    EXPECT_THROW(cards->sign(request(cert(Purpose::identification)), pin("654321")), CardError);
    // A right PIN resets the counters for the tests that follow.
    cards->sign(request(cert(Purpose::signing)), pin("654321"));
    cards->sign(request(cert(Purpose::identification)), pin("123456"));
}

TEST_F(CardAccess, WrongPinReportsStatusAfterTheAttempt) {
    auto c = cert(Purpose::identification);
    try {
        cards->sign(request(c), pin("000000"));
        FAIL() << "wrong PIN accepted";
    } catch (const CardError& e) {
        EXPECT_EQ(e.reason(), CardErrorReason::pin_incorrect);
        EXPECT_EQ(e.ckr_name(), "CKR_PIN_INCORRECT");
        EXPECT_EQ(e.function(), "C_Login");
        ASSERT_TRUE(e.pin_status);
        EXPECT_EQ(*e.pin_status, PinStatus::count_low);  // both backends set COUNT_LOW
        // The error never carries the PIN.
        EXPECT_EQ(std::string(e.what()).find("000000"), std::string::npos);
    }
    auto req = request(c);
    EXPECT_TRUE(verifies(c.info, req, cards->sign(req, pin("123456"))));
    EXPECT_EQ(cards->pin_info(c.card_id, PinKind::identification).status, PinStatus::ok);
}

TEST_F(CardAccess, AWrongPinIsNeverTakenAsRightOnALoggedInSlot) {
    // libp11 0.4.12 returns success from a login on an already logged-in slot: we log out first.
    auto c = cert(Purpose::identification);
    cards->sign(request(c), pin("123456"), /*keep_logged_in=*/true);
    EXPECT_TRUE(cards->sign_with_cached_login(request(c)));
    try {
        cards->sign(request(c), pin("999999"));
        FAIL() << "wrong PIN accepted on a logged-in slot";
    } catch (const CardError& e) {
        EXPECT_EQ(e.reason(), CardErrorReason::pin_incorrect);
    }
    // The failed attempt also dropped the kept login.
    EXPECT_FALSE(cards->sign_with_cached_login(request(c)));
    cards->sign(request(c), pin("123456"));
}

TEST_F(CardAccess, KeptIdentificationLoginAndForget) {
    auto c = cert(Purpose::identification);
    EXPECT_FALSE(cards->sign_with_cached_login(request(c)));
    cards->sign(request(c), pin("123456"), true);
    auto req = request(c);
    auto signature = cards->sign_with_cached_login(req);
    ASSERT_TRUE(signature);
    EXPECT_TRUE(verifies(c.info, req, *signature));
    cards->forget_login(c.card_id);
    EXPECT_FALSE(cards->sign_with_cached_login(request(c)));
    // A signature key is never served from a kept login.
    auto s = cert(Purpose::signing);
    cards->sign(request(s), pin("654321"), true);
    EXPECT_FALSE(cards->sign_with_cached_login(request(s)));
}

TEST_F(CardAccess, ChangePinAndUnblockWithPuk) {
    auto c = cert(Purpose::identification);
    cards->change_pin(c.card_id, PinKind::identification, pin("123456"), pin("112233"));
    EXPECT_THROW(cards->sign(request(c), pin("123456")), CardError);
    cards->sign(request(c), pin("112233"));
    // The PUK (the SO PIN) sets a new PIN: C_Login(CKU_SO) + C_InitPIN.
    cards->unblock_pin(c.card_id, PinKind::identification, pin("12345678"), pin("123456"));
    cards->sign(request(c), pin("123456"));
    EXPECT_THROW(
        cards->unblock_pin(c.card_id, PinKind::identification, pin("00000000"), pin("123456")),
        CardError);
}

TEST_F(CardAccess, UnknownCertificate) {
    SignatureRequest req;
    req.certificate_id = "0123456789abcdef0123456789abcdef";
    req.digest = sha(HashAlgorithm::sha256, "x");
    try {
        cards->sign(req, pin("123456"));
        FAIL();
    } catch (const CardError& e) {
        EXPECT_EQ(e.reason(), CardErrorReason::certificate_not_found);
    }
    EXPECT_THROW(cards->pin_info("c-nonexistent", PinKind::identification), CardError);
}

TEST_F(CardAccess, ParallelSignaturesAndEnumeration) {
    // Operations on one card are serialized, other cards and enumeration go on meanwhile.
    auto id = cert(Purpose::identification);
    auto sign = cert(Purpose::signing);
    std::atomic<int> good{0};
    std::atomic<bool> stop{false};
    std::thread enumerate([&] {
        while (!stop) {
            cards->refresh();
            EXPECT_FALSE(cards->cards().empty());
        }
    });
    std::vector<std::thread> signers;
    for (int t = 0; t < 4; ++t) {
        signers.emplace_back([&, t] {
            for (int i = 0; i < 5; ++i) {
                const auto& c = t % 2 ? id : sign;
                auto req = request(c);
                if (verifies(c.info, req, cards->sign(req, pin(t % 2 ? "123456" : "654321"))))
                    ++good;
            }
        });
    }
    for (auto& s : signers) s.join();
    stop = true;
    enumerate.join();
    EXPECT_EQ(good, 20);
}

// ---- the soft card alone: blocked PINs, removal, PIN pad, several cards, slot events ----

TEST_F(CardAccess, SoftcardTwoSlotsAreOneCard) {
    auto all = cards->cards();
    ASSERT_EQ(all.size(), 1u);
    const auto& card = all.front();
    EXPECT_EQ(card.certificates.size(), 4u);
    EXPECT_EQ(card.label, "Tolvan Tolvansson (legitimering)");
    ASSERT_TRUE(card.identification);
    ASSERT_TRUE(card.signing);
    EXPECT_EQ(card.card_id.rfind("c-", 0), 0u);
}

TEST_F(CardAccess, SoftcardCardIdStableAcrossReinsertion) {
    auto before = cards->cards().front().card_id;
    ASSERT_EQ(world.ctl("remove tolvan"), 0);
    cards->refresh();
    EXPECT_TRUE(cards->cards().empty());
    ASSERT_EQ(world.ctl("insert tolvan"), 0);
    cards->refresh();
    ASSERT_EQ(cards->cards().size(), 1u);
    EXPECT_EQ(cards->cards().front().card_id, before);
}

TEST_F(CardAccess, SoftcardWrongPinsCountDownToLocked) {
    auto c = cert(Purpose::identification);
    std::vector<PinStatus> after;
    for (int i = 0; i < 3; ++i) {
        try {
            cards->sign(request(c), pin("000000"));
        } catch (const CardError& e) {
            after.push_back(e.pin_status.value_or(PinStatus::unknown));
        }
    }
    EXPECT_EQ(after, (std::vector{PinStatus::count_low, PinStatus::final_try, PinStatus::locked}));
    // Locked: refused before any login, even with the right PIN.
    try {
        cards->sign(request(c), pin("123456"));
        FAIL();
    } catch (const CardError& e) {
        EXPECT_EQ(e.reason(), CardErrorReason::pin_locked);
    }
    EXPECT_EQ(cards->pin_info(c.card_id, PinKind::identification).status, PinStatus::locked);
    // The signing PIN is a different PIN and still works.
    cards->sign(request(cert(Purpose::signing)), pin("654321"));
    cards->unblock_pin(c.card_id, PinKind::identification, pin("12345678"), pin("123456"));
    cards->sign(request(c), pin("123456"));
}

TEST_F(CardAccess, SoftcardLockedCardNeverSeesALogin) {
    ASSERT_EQ(world.ctl("remove tolvan"), 0);
    ASSERT_EQ(world.ctl("insert locked"), 0);
    cards->refresh();
    auto id = cert(Purpose::identification, "SE5560000001-P000000000006");
    auto card = card_holding(id);
    EXPECT_EQ(card.identification->status, PinStatus::locked);
    EXPECT_EQ(card.signing->status, PinStatus::final_try);
    std::string before = sithsd::test::read_file(world.dir() / "softcard-state.json");
    try {
        cards->sign(request(id), pin("123456"));
        FAIL();
    } catch (const CardError& e) {
        EXPECT_EQ(e.reason(), CardErrorReason::pin_locked);
        EXPECT_TRUE(e.function().empty()) << "no PKCS#11 login may be attempted";
    }
    // The soft card's counters did not move.
    EXPECT_EQ(sithsd::test::read_file(world.dir() / "softcard-state.json"), before);
    // The signing PIN on its final try: the right PIN works and resets it.
    auto s = cert(Purpose::signing, "SE5560000001-P000000000006");
    auto req = request(s);
    EXPECT_TRUE(verifies(s.info, req, cards->sign(req, pin("654321"))));
    EXPECT_EQ(cards->pin_info(card.card_id, PinKind::signing).status, PinStatus::ok);
}

TEST_F(CardAccess, SoftcardRemovalDuringSignThenReinsertion) {
    auto c = cert(Purpose::signing);
    ASSERT_EQ(world.ctl("remove-during-sign tolvan"), 0);
    try {
        cards->sign(request(c), pin("654321"));
        FAIL() << "signature made on a removed card";
    } catch (const CardError& e) {
        EXPECT_EQ(e.reason(), CardErrorReason::card_removed) << e.what();
    }
    cards->refresh();
    EXPECT_TRUE(cards->cards().empty());
    ASSERT_EQ(world.ctl("insert tolvan"), 0);
    cards->refresh();
    auto again = cert(Purpose::signing);
    auto req = request(again);
    EXPECT_TRUE(verifies(again.info, req, cards->sign(req, pin("654321"))));
}

TEST_F(CardAccess, SoftcardDeviceErrorNamesTheCkr) {
    auto c = cert(Purpose::identification);
    ASSERT_EQ(world.ctl("fail tolvan 1"), 0);
    try {
        cards->sign(request(c), pin("123456"));
        FAIL();
    } catch (const CardError& e) {
        EXPECT_EQ(e.reason(), CardErrorReason::token_error);
        EXPECT_EQ(e.ckr_name(), "CKR_DEVICE_ERROR");
    }
    cards->sign(request(c), pin("123456"));  // the next operation works
}

TEST_F(CardAccess, SoftcardPinPad) {
    ASSERT_EQ(world.ctl("remove tolvan"), 0);
    ASSERT_EQ(world.ctl("insert pinpad"), 0);
    cards->refresh();
    auto c = cert(Purpose::identification, "SE5560000001-P000000000007");
    ASSERT_TRUE(card_holding(c).identification->pin_pad);
    Secret none;  // the reader's keys, not ours
    ASSERT_EQ(world.ctl("pinpad pinpad ok"), 0);
    auto req = request(c);
    EXPECT_TRUE(verifies(c.info, req, cards->sign(req, none)));
    ASSERT_EQ(world.ctl("pinpad pinpad wrong"), 0);
    try {
        cards->sign(request(c), none);
        FAIL();
    } catch (const CardError& e) {
        EXPECT_EQ(e.reason(), CardErrorReason::pin_incorrect);
    }
    ASSERT_EQ(world.ctl("pinpad pinpad cancel"), 0);
    try {
        cards->sign(request(c), none);
        FAIL();
    } catch (const CardError& e) {
        EXPECT_EQ(e.reason(), CardErrorReason::cancelled);
    }
}

TEST_F(CardAccess, SoftcardTwoCardsEcAndNoSignatureKey) {
    ASSERT_EQ(world.ctl("insert ulla"), 0);
    ASSERT_EQ(world.ctl("insert nysign"), 0);
    cards->refresh();
    ASSERT_EQ(cards->cards().size(), 3u);
    auto ulla = cert(Purpose::signing, "SE5560000002-P000000000002");
    EXPECT_EQ(ulla.info.key_algorithm, "EC-P256");
    EXPECT_EQ(ulla.info.organization, "Vårdcentralen Åby");
    auto req = request(ulla);
    auto raw = cards->sign(req, pin("654321"));
    EXPECT_EQ(raw.size(), 64u);  // r||s
    EXPECT_TRUE(verifies(ulla.info, req, raw));
    req.ecdsa_der = true;
    EXPECT_TRUE(verifies(ulla.info, req, cards->sign(req, pin("654321"))));
    // Parallel on two cards.
    std::thread other([&] { cards->sign(request(cert(Purpose::identification)), pin("123456")); });
    cards->sign(request(cert(Purpose::identification, "SE5560000002-P000000000002")),
                pin("123456"));
    other.join();

    auto nysign = card_holding(cert(Purpose::identification, "SE5560000001-P000000000003"));
    EXPECT_FALSE(nysign.signing) << "a card without a signature key says so";
    EXPECT_TRUE(nysign.identification);
    try {
        cards->pin_info(nysign.card_id, PinKind::signing);
        FAIL();
    } catch (const CardError& e) {
        EXPECT_EQ(e.reason(), CardErrorReason::certificate_not_found);
        EXPECT_NE(std::string(e.what()).find("no signature key"), std::string::npos);
    }
}

TEST_F(CardAccess, SoftcardWatcherReportsInsertAndRemove) {
    std::mutex m;
    std::condition_variable cv;
    int events = 0;
    // PC/SC on as in the daemon: without a pcscd (as here) the watcher says so once and the
    // soft card's PKCS#11 events still arrive.
    CardWatcher::Options options;
    options.pcsc = true;
    CardWatcher watcher(
        {module},
        [&](CardWatcher::Source source) {
            EXPECT_EQ(source, CardWatcher::Source::pkcs11);
            std::lock_guard lock(m);
            ++events;
            cv.notify_all();
        },
        options);
    auto wait_for_event = [&](int n) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, std::chrono::seconds(10), [&] { return events >= n; });
    };
    ASSERT_EQ(world.ctl("insert ulla"), 0);
    ASSERT_TRUE(wait_for_event(1)) << "no event after insert";
    EXPECT_TRUE(cards->refresh());
    EXPECT_EQ(cards->cards().size(), 2u);
    int seen = events;
    ASSERT_EQ(world.ctl("remove ulla"), 0);
    ASSERT_TRUE(wait_for_event(seen + 1)) << "no event after remove";
    EXPECT_TRUE(cards->refresh());
    EXPECT_EQ(cards->cards().size(), 1u);
    watcher.stop();
}

TEST_F(CardAccess, SoftcardKeptLoginDroppedOnRemoval) {
    auto c = cert(Purpose::identification);
    cards->sign(request(c), pin("123456"), true);
    ASSERT_EQ(world.ctl("remove tolvan"), 0);
    cards->refresh();
    ASSERT_EQ(world.ctl("insert tolvan"), 0);
    cards->refresh();
    EXPECT_FALSE(cards->sign_with_cached_login(request(cert(Purpose::identification))));
}

// A card with one slot and one PIN: both keys behind it, the signature key always-authenticate
// (as some middleware shows a SITHS card). Made as a SoftHSM2 token in the test's world copy.
TEST(SoftHsmOneSlot, BothKeysBehindOnePin) {
    sithsd::test::TestWorld world;
    const std::string dir = world.dir().string();
    const std::string tool = "pkcs11-tool --module " SITHSD_TEST_SOFTHSM_MODULE
                             " --token-label Enkelkort --login --pin 123456";
    std::string script = "set -e; cd " + dir +
                         "/cards/tolvan;"
                         "softhsm2-util --init-token --free --label Enkelkort --pin 123456 "
                         "--so-pin 12345678 >/dev/null;";
    for (auto [stem, id, always] :
         {std::tuple{"id-hsa", "01", ""}, std::tuple{"sign-hsa", "02", " --always-auth"}}) {
        script += std::string("openssl pkcs8 -topk8 -nocrypt -in ") + stem +
                  ".key -outform DER -out /tmp/k$$.der;" + "openssl pkey -in " + stem +
                  ".key -pubout -outform DER -out /tmp/p$$.der;" + tool +
                  " --write-object /tmp/k$$.der --type privkey --usage-sign --id " + id + always +
                  " >/dev/null;" + tool + " --write-object " + stem + ".der --type cert --id " +
                  id + " >/dev/null;" + tool + " --write-object /tmp/p$$.der --type pubkey --id " +
                  id + " >/dev/null;";
    }
    script += "rm -f /tmp/k$$.der /tmp/p$$.der";
    ASSERT_EQ(sithsd::test::run("bash -c '" + script + "'"), 0);

    auto module = Module::load(SITHSD_TEST_SOFTHSM_MODULE);
    CardSet cards({module});
    cards.refresh();
    std::optional<CardInfo> one;
    for (const auto& card : cards.cards())
        if (card.label == "Enkelkort") one = card;
    ASSERT_TRUE(one);
    ASSERT_EQ(one->certificates.size(), 2u);
    ASSERT_TRUE(one->identification);
    ASSERT_TRUE(one->signing) << "the signature key behind the same PIN";
    for (const auto& cert : one->certificates) {
        SignatureRequest req;
        req.certificate_id = cert.info.certificate_id;
        req.digest = sha(HashAlgorithm::sha256, "Attest");
        std::vector<std::uint8_t> signature;
        try {
            signature = cards.sign(req, Secret("123456"));
        } catch (const CardError& e) {
            FAIL() << purpose_name(*cert.info.purpose) << ": " << e.what();
        }
        EXPECT_TRUE(verifies(cert.info, req, signature)) << purpose_name(*cert.info.purpose);
    }
}
