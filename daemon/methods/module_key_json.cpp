#include "daemon/methods/module_key_json.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>

#include "protocol/base64.hpp"

namespace sithsd::daemon {

namespace {

std::string base64_of_bignum(EVP_PKEY* key, const char* name) {
    BIGNUM* n = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &n) != 1) throw std::runtime_error("no RSA key part");
    std::unique_ptr<BIGNUM, decltype(&BN_free)> owned(n, BN_free);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(BN_num_bytes(n)));
    BN_bn2bin(n, bytes.data());
    return protocol::base64_encode(bytes);
}

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

X509Ptr parse(const std::vector<std::uint8_t>& der) {
    const unsigned char* p = der.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())), X509_free);
    if (!cert) throw std::runtime_error("unreadable certificate");
    return cert;
}

template <class T, int (*I2d)(const T*, unsigned char**)>
std::string base64_der(const T* value) {
    const int n = value ? I2d(value, nullptr) : -1;
    if (n <= 0) throw std::runtime_error("certificate field cannot be encoded");
    std::vector<std::uint8_t> der(static_cast<std::size_t>(n));
    unsigned char* out = der.data();
    I2d(value, &out);
    return protocol::base64_encode(der);
}

}  // namespace

boost::json::object certificate_names_json(const std::vector<std::uint8_t>& certificate_der) {
    const auto cert = parse(certificate_der);
    return {{"subject", base64_der<X509_NAME, i2d_X509_NAME>(X509_get_subject_name(cert.get()))},
            {"issuer", base64_der<X509_NAME, i2d_X509_NAME>(X509_get_issuer_name(cert.get()))},
            {"serialNumber",
             base64_der<ASN1_INTEGER, i2d_ASN1_INTEGER>(X509_get0_serialNumber(cert.get()))}};
}

boost::json::object public_key_json(const std::vector<std::uint8_t>& certificate_der) {
    const auto cert = parse(certificate_der);
    EVP_PKEY* key = cert ? X509_get0_pubkey(cert.get()) : nullptr;  // owned by cert
    if (!key) throw std::runtime_error("certificate without a readable public key");
    if (EVP_PKEY_is_a(key, "RSA"))
        return {{"modulus", base64_of_bignum(key, OSSL_PKEY_PARAM_RSA_N)},
                {"publicExponent", base64_of_bignum(key, OSSL_PKEY_PARAM_RSA_E)}};
    char curve[64] = {};
    std::size_t curve_len = 0;
    std::vector<std::uint8_t> point(256);
    std::size_t point_len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve,
                                       &curve_len) != 1 ||
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(),
                                        &point_len) != 1)
        throw std::runtime_error("certificate key is neither RSA nor a named EC curve");
    point.resize(point_len);
    const int nid = OBJ_sn2nid(curve);
    const ASN1_OBJECT* oid = nid == NID_undef ? nullptr : OBJ_nid2obj(nid);  // static, not owned
    const int params_len = oid ? i2d_ASN1_OBJECT(oid, nullptr) : -1;
    if (params_len <= 0) throw std::runtime_error("unknown EC curve");
    std::vector<std::uint8_t> params(static_cast<std::size_t>(params_len));
    unsigned char* out = params.data();
    i2d_ASN1_OBJECT(oid, &out);
    return {{"ecParams", protocol::base64_encode(params)},
            {"ecPoint", protocol::base64_encode(point)}};
}

}  // namespace sithsd::daemon
