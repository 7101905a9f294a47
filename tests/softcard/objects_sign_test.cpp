// Objects and their attributes; signatures with every mechanism, checked by OpenSSL against the
// card's certificates; the context-specific login of always-authenticate keys.
#include <openssl/evp.h>

#include <cstring>

#include "tests/softcard/softcard_fixture.hpp"

namespace sithsd::softcard::test {
namespace {

CK_OBJECT_CLASS kCert = CKO_CERTIFICATE, kPriv = CKO_PRIVATE_KEY, kPub = CKO_PUBLIC_KEY;

CK_ULONG as_ulong(const Bytes& b) {
    CK_ULONG v = 0;
    if (b.size() == sizeof v) std::memcpy(&v, b.data(), sizeof v);
    return v;
}

// DigestInfo for SHA-256 (RFC 8017 §9.2 note 1) followed by the hash.
Bytes digest_info_sha256(const Bytes& data) {
    Bytes out = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    Bytes h = sha256(data);
    out.insert(out.end(), h.begin(), h.end());
    return out;
}

// Issue 23, point 8: a template value at NULL with a length is the caller's bug, refused as the
// browser module refuses it (it quietly matched nothing before; the browser module crashed).
TEST(SoftcardObjects, ASearchValueAtNullWithALengthIsRefused) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    CK_SESSION_HANDLE s = m.open(kTolvanId);
    CK_ATTRIBUTE bad[] = {{CKA_CLASS, &kCert, sizeof kCert}, {CKA_ID, nullptr, 1}};
    EXPECT_EQ(m->C_FindObjectsInit(s, bad, 2), CKR_ARGUMENTS_BAD);
    // Nothing was started: a right search works at once; a NULL value of length 0 is an empty one.
    EXPECT_EQ(m.find(s, {{CKA_CLASS, &kCert, sizeof kCert}}).size(), 4u);
    EXPECT_TRUE(m.find(s, {{CKA_ID, nullptr, 0}}).empty());
}

TEST(SoftcardObjects, PublicObjectsAlwaysPrivateKeysAfterLogin) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    CK_SESSION_HANDLE s = m.open(kTolvanId);
    // Two certificates and two public keys, and the certificates of both issuing CAs.
    EXPECT_EQ(m.find(s, {}).size(), 6u);
    EXPECT_TRUE(m.find(s, {{CKA_CLASS, &kPriv, sizeof kPriv}}).empty());
    ASSERT_EQ(m.login(s, CKU_USER, "123456"), CKR_OK);
    EXPECT_EQ(m.login(s, CKU_USER, "123456"), CKR_USER_ALREADY_LOGGED_IN);
    EXPECT_EQ(m.find(s, {}).size(), 8u);
    for (std::uint8_t id : {0x01, 0x03}) {
        CK_OBJECT_HANDLE key = m.find_one(s, kPriv, id);
        CK_OBJECT_HANDLE cert = m.find_one(s, kCert, id);
        CK_OBJECT_HANDLE pub = m.find_one(s, kPub, id);
        EXPECT_EQ(m.attribute(s, key, CKA_ID), Bytes{id});
        EXPECT_EQ(m.attribute(s, key, CKA_ALWAYS_AUTHENTICATE), Bytes{CK_FALSE});
        EXPECT_EQ(m.attribute(s, key, CKA_SIGN), Bytes{CK_TRUE});
        EXPECT_EQ(m.attribute(s, key, CKA_PRIVATE), Bytes{CK_TRUE});
        EXPECT_EQ(m.attribute(s, key, CKA_TOKEN), Bytes{CK_TRUE});
        EXPECT_EQ(as_ulong(m.attribute(s, key, CKA_KEY_TYPE)), CKK_RSA);
        EXPECT_EQ(m.attribute(s, key, CKA_MODULUS), m.attribute(s, pub, CKA_MODULUS));
        EXPECT_EQ(m.attribute(s, pub, CKA_PUBLIC_EXPONENT), (Bytes{0x01, 0x00, 0x01}));
        EXPECT_EQ(m.attribute(s, pub, CKA_PRIVATE), Bytes{CK_FALSE});
        EXPECT_EQ(as_ulong(m.attribute(s, cert, CKA_CERTIFICATE_TYPE)), CKC_X_509);
        EXPECT_EQ(m.attribute(s, cert, CKA_SUBJECT), m.attribute(s, key, CKA_SUBJECT));
        EXPECT_FALSE(m.attribute(s, cert, CKA_ISSUER).empty());
        EXPECT_FALSE(m.attribute(s, cert, CKA_SERIAL_NUMBER).empty());
    }
    CK_OBJECT_HANDLE cert = m.find_one(s, kCert, 0x01);
    EXPECT_EQ(m.attribute(s, cert, CKA_VALUE),
              der_of_pem_certificate(world.card_file("tolvan", "id-hsa.pem")));
    EXPECT_EQ(m.attribute(s, cert, CKA_LABEL), text("Legitimering (hsa)"));
    EXPECT_EQ(m->C_Logout(s), CKR_OK);
    EXPECT_EQ(m->C_Logout(s), CKR_USER_NOT_LOGGED_IN);
    EXPECT_EQ(m.find(s, {}).size(), 6u);
    // A CA certificate is a certificate object without a key, category authority.
    CK_OBJECT_HANDLE ca = m.find_one(s, kCert, 0xc1);
    EXPECT_EQ(as_ulong(m.attribute(s, ca, CKA_CERTIFICATE_CATEGORY)), 2u);
    EXPECT_EQ(m.attribute(s, ca, CKA_VALUE),
              der_of_pem_certificate(world.card_file("tolvan", "issuer-hsaid.crt")));
}

TEST(SoftcardObjects, GetAttributeValueFollowsTheSpecification) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    CK_SESSION_HANDLE s = m.open(kTolvanSign);
    ASSERT_EQ(m.login(s, CKU_USER, "654321"), CKR_OK);
    CK_OBJECT_HANDLE key = m.find_one(s, kPriv, 0x02);
    EXPECT_EQ(m.attribute(s, key, CKA_ALWAYS_AUTHENTICATE), Bytes{CK_TRUE});
    CK_BYTE small[4];
    CK_BBOOL sign = CK_FALSE;
    CK_ATTRIBUTE templ[] = {
        {CKA_PRIVATE_EXPONENT, nullptr, 0},  // sensitive
        {CKA_MODULUS, small, sizeof small},  // too small
        {CKA_SIGN, &sign, sizeof sign},      // fine
        {CKA_CERTIFICATE_TYPE, nullptr, 0},  // not a key attribute
    };
    EXPECT_EQ(m->C_GetAttributeValue(s, key, templ, 4), CKR_ATTRIBUTE_TYPE_INVALID);
    EXPECT_EQ(templ[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    EXPECT_EQ(templ[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    EXPECT_EQ(templ[2].ulValueLen, sizeof(CK_BBOOL));
    EXPECT_EQ(sign, CK_TRUE);
    EXPECT_EQ(templ[3].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    CK_ATTRIBUTE secret{CKA_PRIVATE_EXPONENT, nullptr, 0};
    EXPECT_EQ(m->C_GetAttributeValue(s, key, &secret, 1), CKR_ATTRIBUTE_SENSITIVE);
    CK_BYTE modulus[8];
    CK_ATTRIBUTE too_small{CKA_MODULUS, modulus, sizeof modulus};
    EXPECT_EQ(m->C_GetAttributeValue(s, key, &too_small, 1), CKR_BUFFER_TOO_SMALL);
    EXPECT_EQ(m->C_GetAttributeValue(s, 4242, &too_small, 1), CKR_OBJECT_HANDLE_INVALID);
    // After logout the private key's handle is no longer valid for this session.
    ASSERT_EQ(m->C_Logout(s), CKR_OK);
    EXPECT_EQ(m->C_GetAttributeValue(s, key, &too_small, 1), CKR_OBJECT_HANDLE_INVALID);
}

TEST(SoftcardObjects, EcCardHasEcParamsAndPoint) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    ASSERT_EQ(world.ctl("insert ulla"), 0);
    CK_SESSION_HANDLE s = m.open(kUllaId);
    CK_OBJECT_HANDLE pub = m.find_one(s, kPub, 0x01);
    EXPECT_EQ(as_ulong(m.attribute(s, pub, CKA_KEY_TYPE)), CKK_EC);
    // prime256v1 = 1.2.840.10045.3.1.7
    EXPECT_EQ(m.attribute(s, pub, CKA_EC_PARAMS),
              (Bytes{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}));
    Bytes point = m.attribute(s, pub, CKA_EC_POINT);  // DER OCTET STRING of 04||x||y
    ASSERT_EQ(point.size(), 67u);
    EXPECT_EQ(point[0], 0x04);
    EXPECT_EQ(point[1], 65);
    EXPECT_EQ(point[2], 0x04);
}

TEST(SoftcardSign, RsaMechanismsVerifyAgainstTheCertificate) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    const auto cert = world.card_file("tolvan", "id-hsa.pem");
    CK_SESSION_HANDLE s = m.open(kTolvanId);
    CK_MECHANISM sha256_rsa{CKM_SHA256_RSA_PKCS, nullptr, 0};
    CK_OBJECT_HANDLE pub = m.find_one(s, kPub, 0x01);
    Bytes sig;
    EXPECT_EQ(m.sign(s, sha256_rsa, pub, text("x"), sig), CKR_KEY_FUNCTION_NOT_PERMITTED);
    ASSERT_EQ(m.login(s, CKU_USER, "123456"), CKR_OK);
    CK_OBJECT_HANDLE key = m.find_one(s, kPriv, 0x01);
    const Bytes data = text("Journal entry 2026-11-23, signed by Tolvan");

    ASSERT_EQ(m.sign(s, sha256_rsa, key, data, sig), CKR_OK);
    EXPECT_EQ(sig.size(), 256u);
    EXPECT_TRUE(verify_with_certificate(cert, "pkcs1", "SHA256", data, sig));
    EXPECT_FALSE(verify_with_certificate(cert, "pkcs1", "SHA256", text("other"), sig));

    for (auto [mech, md] :
         {std::pair{CKM_SHA384_RSA_PKCS, "SHA384"}, {CKM_SHA512_RSA_PKCS, "SHA512"}}) {
        ASSERT_EQ(m.sign(s, {mech, nullptr, 0}, key, data, sig), CKR_OK);
        EXPECT_TRUE(verify_with_certificate(cert, "pkcs1", md, data, sig)) << md;
    }

    // CKM_RSA_PKCS takes a DigestInfo the caller built and only pads it.
    CK_MECHANISM raw{CKM_RSA_PKCS, nullptr, 0};
    ASSERT_EQ(m.sign(s, raw, key, digest_info_sha256(data), sig), CKR_OK);
    EXPECT_TRUE(verify_with_certificate(cert, "pkcs1", "SHA256", data, sig));
    EXPECT_EQ(m.sign(s, raw, key, Bytes(250, 1), sig), CKR_DATA_LEN_RANGE);

    // Multi-part.
    ASSERT_EQ(m->C_SignInit(s, &sha256_rsa, key), CKR_OK);
    EXPECT_EQ(m->C_SignInit(s, &sha256_rsa, key), CKR_OPERATION_ACTIVE);
    ASSERT_EQ(m->C_SignUpdate(s, const_cast<CK_BYTE*>(data.data()), 10), CKR_OK);
    ASSERT_EQ(m->C_SignUpdate(s, const_cast<CK_BYTE*>(data.data()) + 10, data.size() - 10), CKR_OK);
    CK_ULONG len = 0;
    ASSERT_EQ(m->C_SignFinal(s, nullptr, &len), CKR_OK);
    sig.assign(len, 0);
    CK_ULONG tiny = 10;
    EXPECT_EQ(m->C_SignFinal(s, sig.data(), &tiny), CKR_BUFFER_TOO_SMALL);
    EXPECT_EQ(tiny, 256u);
    ASSERT_EQ(m->C_SignFinal(s, sig.data(), &len), CKR_OK);
    EXPECT_TRUE(verify_with_certificate(cert, "pkcs1", "SHA256", data, sig));

    // PSS over a SHA-256 hash.
    CK_RSA_PKCS_PSS_PARAMS pss{CKM_SHA256, CKG_MGF1_SHA256, 32};
    CK_MECHANISM pss_mech{CKM_RSA_PKCS_PSS, &pss, sizeof pss};
    ASSERT_EQ(m.sign(s, pss_mech, key, sha256(data), sig), CKR_OK);
    EXPECT_TRUE(verify_with_certificate(cert, "pss", "SHA256", sha256(data), sig));
    EXPECT_EQ(m.sign(s, pss_mech, key, data, sig), CKR_DATA_LEN_RANGE);  // not a SHA-256 hash
    CK_MECHANISM pss_no_params{CKM_RSA_PKCS_PSS, nullptr, 0};
    EXPECT_EQ(m->C_SignInit(s, &pss_no_params, key), CKR_MECHANISM_PARAM_INVALID);
    CK_MECHANISM ecdsa{CKM_ECDSA, nullptr, 0};
    EXPECT_EQ(m->C_SignInit(s, &ecdsa, key), CKR_MECHANISM_INVALID);
    // Single-part mechanisms have no C_SignUpdate; the error ends the operation.
    ASSERT_EQ(m->C_SignInit(s, &raw, key), CKR_OK);
    EXPECT_EQ(m->C_SignUpdate(s, sig.data(), 4), CKR_MECHANISM_INVALID);
    EXPECT_EQ(m->C_Sign(s, sig.data(), 4, sig.data(), &len), CKR_OPERATION_NOT_INITIALIZED);
}

TEST(SoftcardSign, EcdsaReturnsRawRAndS) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    ASSERT_EQ(world.ctl("insert ulla"), 0);
    const auto cert = world.card_file("ulla", "sign-hsa.pem");
    CK_SESSION_HANDLE s = m.open(kUllaSign);
    ASSERT_EQ(m.login(s, CKU_USER, "654321"), CKR_OK);
    CK_OBJECT_HANDLE key = m.find_one(s, kPriv, 0x02);
    const Bytes data = text("Remiss till Vårdcentralen Åby");
    Bytes sig;
    ASSERT_EQ(m.sign(s, {CKM_ECDSA, nullptr, 0}, key, sha256(data), sig, "654321"), CKR_OK);
    EXPECT_EQ(sig.size(), 64u);
    EXPECT_TRUE(verify_with_certificate(cert, "ecdsa", "", sha256(data), sig));
    for (auto [mech, md] : {std::pair{CKM_ECDSA_SHA256, "SHA256"},
                            {CKM_ECDSA_SHA384, "SHA384"},
                            {CKM_ECDSA_SHA512, "SHA512"}}) {
        ASSERT_EQ(m.sign(s, {mech, nullptr, 0}, key, data, sig, "654321"), CKR_OK);
        EXPECT_EQ(sig.size(), 64u);
        EXPECT_TRUE(verify_with_certificate(cert, "ecdsa", md, data, sig)) << md;
    }
    CK_MECHANISM rsa{CKM_SHA256_RSA_PKCS, nullptr, 0};
    EXPECT_EQ(m->C_SignInit(s, &rsa, key), CKR_MECHANISM_INVALID);
}

TEST(SoftcardSign, AlwaysAuthenticateKeyNeedsContextLoginBeforeEverySignature) {
    PrivateWorld world;
    LoadedModule m(world);
    ASSERT_EQ(m.initialize(), CKR_OK);
    const auto cert = world.card_file("tolvan", "sign-hsa.pem");
    CK_SESSION_HANDLE s = m.open(kTolvanSign);
    CK_MECHANISM mech{CKM_SHA256_RSA_PKCS, nullptr, 0};
    Bytes data = text("Jag intygar att uppgifterna stämmer");
    Bytes sig(256);
    CK_ULONG len = sig.size();
    ASSERT_EQ(m.login(s, CKU_USER, "654321"), CKR_OK);
    CK_OBJECT_HANDLE key = m.find_one(s, kPriv, 0x02);
    // Logged out, the private key cannot sign.
    ASSERT_EQ(m->C_Logout(s), CKR_OK);
    EXPECT_EQ(m->C_SignInit(s, &mech, key), CKR_USER_NOT_LOGGED_IN);
    ASSERT_EQ(m.login(s, CKU_USER, "654321"), CKR_OK);

    // Without C_Login(CKU_CONTEXT_SPECIFIC): CKR_USER_NOT_LOGGED_IN, and the operation is over.
    ASSERT_EQ(m->C_SignInit(s, &mech, key), CKR_OK);
    EXPECT_EQ(m->C_Sign(s, data.data(), data.size(), sig.data(), &len), CKR_USER_NOT_LOGGED_IN);
    EXPECT_EQ(m->C_Sign(s, data.data(), data.size(), sig.data(), &len),
              CKR_OPERATION_NOT_INITIALIZED);

    // With it: a good signature; and the next signature needs it again.
    ASSERT_EQ(m.sign(s, mech, key, data, sig, "654321"), CKR_OK);
    EXPECT_TRUE(verify_with_certificate(cert, "pkcs1", "SHA256", data, sig));
    ASSERT_EQ(m->C_SignInit(s, &mech, key), CKR_OK);
    len = sig.size();
    EXPECT_EQ(m->C_Sign(s, data.data(), data.size(), sig.data(), &len), CKR_USER_NOT_LOGGED_IN);

    // A wrong context-specific PIN costs a try of the signing PIN.
    ASSERT_EQ(m->C_SignInit(s, &mech, key), CKR_OK);
    EXPECT_EQ(m.login(s, CKU_CONTEXT_SPECIFIC, "000000"), CKR_PIN_INCORRECT);
    CK_TOKEN_INFO ti = m.token_info(kTolvanSign);
    EXPECT_TRUE(ti.flags & CKF_USER_PIN_COUNT_LOW);
    EXPECT_NE(world.ctl_output("status").find("tolvan    yes       3         2 "),
              std::string::npos)
        << world.ctl_output("status");
    EXPECT_EQ(m.login(s, CKU_CONTEXT_SPECIFIC, "654321"), CKR_OK);
    len = sig.size();
    ASSERT_EQ(m->C_Sign(s, data.data(), data.size(), sig.data(), &len), CKR_OK);
    EXPECT_FALSE(m.token_info(kTolvanSign).flags & CKF_USER_PIN_COUNT_LOW);

    // A context-specific login needs an always-authenticate operation in progress.
    EXPECT_EQ(m.login(s, CKU_CONTEXT_SPECIFIC, "654321"), CKR_OPERATION_NOT_INITIALIZED);
    CK_SESSION_HANDLE id = m.open(kTolvanId);
    ASSERT_EQ(m.login(id, CKU_USER, "123456"), CKR_OK);
    ASSERT_EQ(m->C_SignInit(id, &mech, m.find_one(id, kPriv, 0x01)), CKR_OK);
    EXPECT_EQ(m.login(id, CKU_CONTEXT_SPECIFIC, "123456"), CKR_OPERATION_NOT_INITIALIZED);
    len = sig.size();
    EXPECT_EQ(m->C_Sign(id, data.data(), data.size(), sig.data(), &len), CKR_OK);
}

}  // namespace
}  // namespace sithsd::softcard::test
