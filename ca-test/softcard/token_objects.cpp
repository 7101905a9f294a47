#include "ca-test/softcard/token_objects.hpp"

#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace sithsd::softcard {

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes ulong_value(CK_ULONG v) {
    Bytes b(sizeof v);
    std::memcpy(b.data(), &v, sizeof v);
    return b;
}

Bytes bool_value(bool v) {
    return Bytes{static_cast<std::uint8_t>(v ? CK_TRUE : CK_FALSE)};
}

Bytes string_value(const std::string& s) {
    return Bytes(s.begin(), s.end());
}

// i2d of any OpenSSL object into bytes.
template <typename T, typename F>
Bytes der(const T* obj, F i2d) {
    int n = i2d(obj, nullptr);
    if (n <= 0) throw std::runtime_error("softcard: DER encoding failed");
    Bytes out(static_cast<size_t>(n));
    unsigned char* p = out.data();
    i2d(obj, &p);
    return out;
}

Bytes bn_param(const EVP_PKEY* key, const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &raw) != 1)
        throw std::runtime_error("softcard: key parameter missing");
    ossl::BnPtr bn(raw);
    Bytes out(static_cast<size_t>(BN_num_bytes(bn.get())));
    BN_bn2bin(bn.get(), out.data());
    return out;
}

ossl::PkeyPtr read_key(const std::filesystem::path& path) {
    ossl::BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) throw std::runtime_error("softcard: cannot read key " + path.string());
    ossl::PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) throw std::runtime_error("softcard: invalid key " + path.string());
    return key;
}

ossl::X509Ptr read_certificate(const std::filesystem::path& path) {
    ossl::BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) throw std::runtime_error("softcard: cannot read certificate " + path.string());
    ossl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) throw std::runtime_error("softcard: invalid certificate " + path.string());
    return cert;
}

// The attributes a private and a public key share: key type and the public values.
void add_public_values(TokenObject& o, const EVP_PKEY* key) {
    using A = decltype(o.attributes);
    A& a = o.attributes;
    if (EVP_PKEY_is_a(key, "RSA")) {
        a[CKA_KEY_TYPE] = ulong_value(CKK_RSA);
        a[CKA_MODULUS] = bn_param(key, OSSL_PKEY_PARAM_RSA_N);
        a[CKA_PUBLIC_EXPONENT] = bn_param(key, OSSL_PKEY_PARAM_RSA_E);
        a[CKA_MODULUS_BITS] = ulong_value(static_cast<CK_ULONG>(EVP_PKEY_get_bits(key)));
    } else if (EVP_PKEY_is_a(key, "EC")) {
        a[CKA_KEY_TYPE] = ulong_value(CKK_EC);
        char group[64] = {};
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           nullptr) != 1)
            throw std::runtime_error("softcard: EC key without a named curve");
        int nid = OBJ_sn2nid(group);
        if (nid == NID_undef) nid = EC_curve_nist2nid(group);
        ASN1_OBJECT* oid = OBJ_nid2obj(nid);
        if (!oid) throw std::runtime_error("softcard: unknown EC curve");
        a[CKA_EC_PARAMS] = der(oid, i2d_ASN1_OBJECT);  // DER OID (namedCurve)
        // CKA_EC_POINT: the uncompressed point as a DER OCTET STRING (PKCS#11 v2.40 §2.3.3).
        unsigned char point[256];
        size_t point_len = 0;
        if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                            &point_len) != 1)
            throw std::runtime_error("softcard: EC key without a public point");
        ossl::Asn1OctetPtr os(ASN1_OCTET_STRING_new());
        ASN1_OCTET_STRING_set(os.get(), point, static_cast<int>(point_len));
        a[CKA_EC_POINT] = der(os.get(), i2d_ASN1_OCTET_STRING);
    } else {
        throw std::runtime_error("softcard: unsupported key type");
    }
    a[CKA_PUBLIC_KEY_INFO] = der(key, i2d_PUBKEY);
}

void add_common(TokenObject& o, CK_OBJECT_CLASS cls, const ObjectConfig& oc, bool is_private) {
    o.object_class = cls;
    o.is_private = is_private;
    auto& a = o.attributes;
    a[CKA_CLASS] = ulong_value(cls);
    a[CKA_TOKEN] = bool_value(true);
    a[CKA_PRIVATE] = bool_value(is_private);
    a[CKA_MODIFIABLE] = bool_value(false);
    a[CKA_COPYABLE] = bool_value(false);
    a[CKA_DESTROYABLE] = bool_value(false);
    a[CKA_LABEL] = string_value(oc.label);
    a[CKA_ID] = oc.id;
}

}  // namespace

std::vector<TokenObject> load_token_objects(const CardConfig& card, SlotKind slot,
                                            CK_SLOT_ID slot_id) {
    std::vector<TokenObject> out;
    CK_OBJECT_HANDLE next = slot_id * 1000 + 1;
    for (const ObjectConfig& oc : card.objects) {
        if (oc.slot != slot) continue;
        ossl::X509Ptr cert = read_certificate(oc.certificate);
        if (oc.key.empty()) {  // a CA certificate: the certificate object alone
            TokenObject crt;
            add_common(crt, CKO_CERTIFICATE, oc, false);
            auto& c = crt.attributes;
            c[CKA_CERTIFICATE_TYPE] = ulong_value(CKC_X_509);
            c[CKA_CERTIFICATE_CATEGORY] = ulong_value(2);  // authority
            c[CKA_TRUSTED] = bool_value(false);
            c[CKA_VALUE] = der(cert.get(), i2d_X509);
            c[CKA_SUBJECT] = der(X509_get_subject_name(cert.get()), i2d_X509_NAME);
            c[CKA_ISSUER] = der(X509_get_issuer_name(cert.get()), i2d_X509_NAME);
            c[CKA_SERIAL_NUMBER] = der(X509_get0_serialNumber(cert.get()), i2d_ASN1_INTEGER);
            crt.handle = next++;
            out.push_back(std::move(crt));
            continue;
        }
        ossl::PkeyPtr key = read_key(oc.key);
        if (X509_check_private_key(cert.get(), key.get()) != 1)
            throw std::runtime_error("softcard: key and certificate differ: " + oc.key.string());
        const Bytes subject = der(X509_get_subject_name(cert.get()), i2d_X509_NAME);
        const bool always_auth = slot == SlotKind::signing;

        TokenObject priv;
        add_common(priv, CKO_PRIVATE_KEY, oc, true);
        add_public_values(priv, key.get());
        auto& a = priv.attributes;
        a[CKA_SUBJECT] = subject;
        a[CKA_SIGN] = bool_value(true);
        a[CKA_SIGN_RECOVER] = bool_value(false);
        a[CKA_DECRYPT] = bool_value(false);
        a[CKA_UNWRAP] = bool_value(false);
        a[CKA_DERIVE] = bool_value(false);
        a[CKA_SENSITIVE] = bool_value(true);
        a[CKA_ALWAYS_SENSITIVE] = bool_value(true);
        a[CKA_EXTRACTABLE] = bool_value(false);
        a[CKA_NEVER_EXTRACTABLE] = bool_value(true);
        a[CKA_LOCAL] = bool_value(true);
        a[CKA_ALWAYS_AUTHENTICATE] = bool_value(always_auth);
        a.erase(CKA_MODULUS_BITS);  // a public-key attribute only
        if (EVP_PKEY_is_a(key.get(), "RSA")) {
            priv.sensitive = {CKA_PRIVATE_EXPONENT, CKA_PRIME_1,    CKA_PRIME_2,
                              CKA_EXPONENT_1,       CKA_EXPONENT_2, CKA_COEFFICIENT};
        } else {
            a.erase(CKA_EC_POINT);  // the private EC key object has CKA_VALUE, which is secret
            priv.sensitive = {CKA_VALUE};
        }
        priv.always_authenticate = always_auth;
        priv.handle = next++;
        priv.key = std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free);

        TokenObject crt;
        add_common(crt, CKO_CERTIFICATE, oc, false);
        auto& c = crt.attributes;
        c[CKA_CERTIFICATE_TYPE] = ulong_value(CKC_X_509);
        c[CKA_CERTIFICATE_CATEGORY] = ulong_value(1);  // token user
        c[CKA_TRUSTED] = bool_value(false);
        c[CKA_VALUE] = der(cert.get(), i2d_X509);
        c[CKA_SUBJECT] = subject;
        c[CKA_ISSUER] = der(X509_get_issuer_name(cert.get()), i2d_X509_NAME);
        c[CKA_SERIAL_NUMBER] = der(X509_get0_serialNumber(cert.get()), i2d_ASN1_INTEGER);
        crt.handle = next++;

        TokenObject pub;
        add_common(pub, CKO_PUBLIC_KEY, oc, false);
        add_public_values(pub, priv.key.get());
        auto& p = pub.attributes;
        p[CKA_SUBJECT] = subject;
        p[CKA_VERIFY] = bool_value(true);
        p[CKA_VERIFY_RECOVER] = bool_value(false);
        p[CKA_ENCRYPT] = bool_value(false);
        p[CKA_WRAP] = bool_value(false);
        p[CKA_DERIVE] = bool_value(false);
        p[CKA_LOCAL] = bool_value(true);
        pub.handle = next++;

        out.push_back(std::move(priv));
        out.push_back(std::move(crt));
        out.push_back(std::move(pub));
    }
    return out;
}

bool matches(const TokenObject& object, const CK_ATTRIBUTE* templ, CK_ULONG count) {
    for (CK_ULONG i = 0; i < count; ++i) {
        auto it = object.attributes.find(templ[i].type);
        if (it == object.attributes.end()) return false;
        if (it->second.size() != templ[i].ulValueLen) return false;
        if (templ[i].ulValueLen != 0 &&
            (templ[i].pValue == nullptr ||
             std::memcmp(it->second.data(), templ[i].pValue, templ[i].ulValueLen) != 0))
            return false;
    }
    return true;
}

}  // namespace sithsd::softcard
