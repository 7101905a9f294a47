#include "protocol/cms_builder.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "protocol/openssl_util.hpp"

namespace sithsd::protocol {
namespace {

[[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string(what) + ": " + ossl::last_error());
}

void append_length(std::vector<std::uint8_t>& out, std::size_t len) {
    if (len < 0x80) {
        out.push_back(static_cast<std::uint8_t>(len));
        return;
    }
    std::vector<std::uint8_t> bytes;
    for (std::size_t n = len; n > 0; n >>= 8) bytes.insert(bytes.begin(), n & 0xff);
    out.push_back(static_cast<std::uint8_t>(0x80 | bytes.size()));
    out.insert(out.end(), bytes.begin(), bytes.end());
}

std::vector<std::uint8_t> tlv(std::uint8_t tag, std::span<const std::uint8_t> value) {
    std::vector<std::uint8_t> out{tag};
    append_length(out, value.size());
    out.insert(out.end(), value.begin(), value.end());
    return out;
}

// ContentHints ::= SEQUENCE { contentDescription UTF8String OPTIONAL, contentType OID }
// (RFC 2634 section 2.9), contentType id-data.
std::vector<std::uint8_t> content_hints(std::string_view text) {
    static constexpr std::uint8_t kIdData[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                               0xf7, 0x0d, 0x01, 0x07, 0x01};
    std::vector<std::uint8_t> body =
        tlv(0x0c, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    body.insert(body.end(), std::begin(kIdData), std::end(kIdData));
    return tlv(0x30, body);
}

// The bytes the signature covers: the signed attributes as a DER SET OF (RFC 5652 5.4), i.e.
// tag 0x31 and the attributes' encodings in ascending order.
std::vector<std::uint8_t> signed_attributes_der(CMS_SignerInfo* si) {
    std::vector<std::vector<std::uint8_t>> attrs;
    for (int i = 0; i < CMS_signed_get_attr_count(si); ++i) {
        X509_ATTRIBUTE* attr = CMS_signed_get_attr(si, i);
        const int len = i2d_X509_ATTRIBUTE(attr, nullptr);
        if (len <= 0) fail("i2d_X509_ATTRIBUTE");
        std::vector<std::uint8_t> der(static_cast<std::size_t>(len));
        unsigned char* p = der.data();
        i2d_X509_ATTRIBUTE(attr, &p);
        attrs.push_back(std::move(der));
    }
    std::sort(attrs.begin(), attrs.end());  // DER order of SET OF: lexicographic octets
    std::vector<std::uint8_t> body;
    for (const auto& a : attrs) body.insert(body.end(), a.begin(), a.end());
    return tlv(0x31, body);
}

}  // namespace

std::vector<std::uint8_t> build_cms(const CmsSignInput& input, const DigestSigner& signer) {
    auto cert = ossl::parse_certificate_der(input.certificate_der);
    if (!cert) throw std::invalid_argument("the certificate cannot be parsed");
    if (input.content_digest.size() != hash_size(input.hash_algorithm)) {
        throw std::invalid_argument("the content digest does not match the hash algorithm");
    }
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    if (!key) throw std::invalid_argument("the certificate has no usable key");
    const bool ec = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
    if (!ec && EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        throw std::invalid_argument("the certificate's key is neither RSA nor EC");
    }

    const unsigned int flags = CMS_PARTIAL | CMS_DETACHED | CMS_BINARY;
    ossl::CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
    if (!cms) fail("CMS_sign");
    // With CMS_PARTIAL nothing is signed here: the public key is enough. CMS_CADES adds
    // signingCertificateV2 (ESS, SHA-256 of the certificate).
    CMS_SignerInfo* si =
        CMS_add1_signer(cms.get(), cert.get(), key, ossl::md_for(input.hash_algorithm),
                        flags | CMS_NOSMIMECAP | CMS_CADES);
    if (!si) fail("CMS_add1_signer");
    for (const auto& der : input.extra_certificates) {
        auto extra = ossl::parse_certificate_der(der);
        if (!extra) throw std::invalid_argument("an extra certificate cannot be parsed");
        if (CMS_add1_cert(cms.get(), extra.get()) != 1) fail("CMS_add1_cert");
    }

    if (CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
                                    OBJ_nid2obj(NID_pkcs7_data), -1) != 1) {
        fail("contentType");
    }
    if (CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING,
                                    input.content_digest.data(),
                                    static_cast<int>(input.content_digest.size())) != 1) {
        fail("messageDigest");
    }
    const auto when = input.signing_time.value_or(std::chrono::system_clock::now());
    time_t when_t = std::chrono::system_clock::to_time_t(when);
    ossl::Asn1TimePtr time(X509_time_adj_ex(nullptr, 0, 0, &when_t));
    if (!time ||
        CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, time->type, time.get(), -1) != 1) {
        fail("signingTime");
    }
    const auto hints = content_hints(input.display_text);
    ossl::Asn1StringPtr hints_value(ASN1_STRING_type_new(V_ASN1_SEQUENCE));
    if (!hints_value ||
        ASN1_STRING_set(hints_value.get(), hints.data(), static_cast<int>(hints.size())) != 1 ||
        CMS_signed_add1_attr_by_NID(si, NID_id_smime_aa_contentHint, V_ASN1_SEQUENCE,
                                    hints_value.get(), -1) != 1) {
        fail("contentHints");
    }

    const auto to_sign = signed_attributes_der(si);
    const auto digest = hash(input.hash_algorithm, to_sign);
    std::vector<std::uint8_t> signature = signer(input.hash_algorithm, digest);
    if (ec) {
        if (signature.size() != 2 * ossl::ec_half_size(key)) {
            throw std::invalid_argument("ECDSA signature is not r||s of the curve's size");
        }
        signature = ossl::ecdsa_raw_to_der(signature);  // CMS wants ECDSA-Sig-Value
        if (signature.empty()) fail("ECDSA signature conversion");
    }
    ASN1_OCTET_STRING* sig = CMS_SignerInfo_get0_signature(si);
    if (ASN1_OCTET_STRING_set(sig, signature.data(), static_cast<int>(signature.size())) != 1) {
        fail("signature");
    }

    ossl::BioPtr out(BIO_new(BIO_s_mem()));
    if (!out || i2d_CMS_bio(out.get(), cms.get()) != 1) fail("i2d_CMS_bio");
    char* data = nullptr;
    const long len = BIO_get_mem_data(out.get(), &data);
    return std::vector<std::uint8_t>(reinterpret_cast<std::uint8_t*>(data),
                                     reinterpret_cast<std::uint8_t*>(data) + len);
}

std::vector<std::uint8_t> build_cms_from_data(
    std::span<const std::uint8_t> certificate_der, std::string_view display_text,
    std::span<const std::uint8_t> data, HashAlgorithm hash_algorithm, const DigestSigner& signer,
    std::vector<std::vector<std::uint8_t>> extra_certificates) {
    const auto digest = hash(hash_algorithm, data);
    return build_cms(CmsSignInput{certificate_der, display_text, hash_algorithm, digest,
                                  std::nullopt, std::move(extra_certificates)},
                     signer);
}

}  // namespace sithsd::protocol
