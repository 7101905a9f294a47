#include "protocol/openssl_util.hpp"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstdio>
#include <ctime>

namespace sithsd::protocol::ossl {

X509Ptr parse_certificate_der(std::span<const std::uint8_t> der) {
    if (der.empty() || der.size() > std::size_t{64} * 1024) return nullptr;
    const unsigned char* p = der.data();
    X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert || p != der.data() + der.size()) return nullptr;
    return cert;
}

std::vector<std::uint8_t> certificate_der(X509* cert) {
    const int len = i2d_X509(cert, nullptr);
    if (len <= 0) return {};
    std::vector<std::uint8_t> out(static_cast<std::size_t>(len));
    unsigned char* p = out.data();
    i2d_X509(cert, &p);
    return out;
}

std::size_t ec_half_size(EVP_PKEY* key) noexcept {
    const int bits = EVP_PKEY_get_bits(key);
    return bits > 0 ? static_cast<std::size_t>((bits + 7) / 8) : 0;
}

std::string ec_curve(EVP_PKEY* key) {
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return {};
    char name[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", name, sizeof name, &len) != 1) return {};
    const std::string group(name, len);
    if (group == "prime256v1" || group == "P-256") return "P-256";
    if (group == "secp384r1" || group == "P-384") return "P-384";
    if (group == "secp521r1" || group == "P-521") return "P-521";
    return {};
}

std::optional<CertStackPtr> load_pem_certificates(const std::string& path) {
    BioPtr bio(BIO_new_file(path.c_str(), "r"));
    if (!bio) return std::nullopt;
    CertStackPtr certs(sk_X509_new_null());
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
        sk_X509_push(certs.get(), cert);
    }
    ERR_clear_error();  // the end of the file reads as an error
    if (sk_X509_num(certs.get()) == 0) return std::nullopt;
    return certs;
}

std::string last_error() {
    std::string text;
    while (const unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!text.empty()) text += "; ";
        text += buf;
    }
    return text;
}

std::string rfc3339(const ASN1_TIME* t) {
    std::tm tm{};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace sithsd::protocol::ossl
