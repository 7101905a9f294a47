// Verifier::verify_cms: a detached CAdES-BES SignedData made by sithsd (or anyone) with a SITHS
// signature certificate.
#include <openssl/ess.h>
#include <openssl/x509v3.h>

#include "protocol/verifier_impl.hpp"

namespace sithsd::protocol {
namespace {

constexpr std::size_t kMaxCmsBytes = std::size_t{1024} * 1024;

VerifyFailure failure(VerifyError e, std::string detail) {
    return {e, std::move(detail)};
}

// RFC 2634 ContentHints: SEQUENCE { contentDescription UTF8String OPTIONAL, contentType OID }.
std::optional<std::string> content_description(CMS_SignerInfo* si) {
    const int idx = CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_contentHint, -1);
    if (idx < 0) return std::nullopt;
    X509_ATTRIBUTE* attr = CMS_signed_get_attr(si, idx);
    ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(attr, 0);
    if (!value || value->type != V_ASN1_SEQUENCE) return std::nullopt;
    const unsigned char* p = ASN1_STRING_get0_data(value->value.sequence);
    const long total = ASN1_STRING_length(value->value.sequence);
    long len = 0;
    int tag = 0;
    int cls = 0;
    const unsigned char* end = p + total;
    if (ASN1_get_object(&p, &len, &tag, &cls, total) & 0x80 || tag != V_ASN1_SEQUENCE)
        return std::nullopt;
    const unsigned char* q = p;
    if (ASN1_get_object(&q, &len, &tag, &cls, end - p) & 0x80 || tag != V_ASN1_UTF8STRING ||
        cls != V_ASN1_UNIVERSAL) {
        return std::nullopt;
    }
    return std::string(reinterpret_cast<const char*>(q), static_cast<std::size_t>(len));
}

std::string signing_time(CMS_SignerInfo* si) {
    const int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
    if (idx < 0) return {};
    ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, idx), 0);
    if (!value || (value->type != V_ASN1_UTCTIME && value->type != V_ASN1_GENERALIZEDTIME))
        return {};
    return ossl::rfc3339(reinterpret_cast<const ASN1_TIME*>(value->value.asn1_string));
}

// CAdES-BES: the signed attribute signingCertificateV2 (ESS, RFC 5035) names the signer's
// certificate, so that the certificate cannot be swapped for another with the same key.
bool signing_certificate_matches(CMS_SignerInfo* si, X509* signer) {
    const int idx = CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1);
    if (idx < 0) return false;
    ASN1_TYPE* value = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, idx), 0);
    if (!value || value->type != V_ASN1_SEQUENCE) return false;
    const unsigned char* p = ASN1_STRING_get0_data(value->value.sequence);
    std::unique_ptr<ESS_SIGNING_CERT_V2, ossl::Deleter<ESS_SIGNING_CERT_V2_free>> ssv2(
        d2i_ESS_SIGNING_CERT_V2(nullptr, &p, ASN1_STRING_length(value->value.sequence)));
    if (!ssv2) return false;
    ossl::ShallowCertStackPtr chain(sk_X509_new_null());
    sk_X509_push(chain.get(), signer);
    const bool ok = OSSL_ESS_check_signing_certs(nullptr, ssv2.get(), chain.get(), 1) == 1;
    ossl::last_error();
    return ok;
}

// A signature certificate: key usage nonRepudiation (contentCommitment).
std::optional<VerifyFailure> check_purpose(X509* cert) {
    const std::uint32_t ku = X509_get_key_usage(cert);
    if (ku == UINT32_MAX || !(ku & KU_NON_REPUDIATION)) {
        return failure(VerifyError::WrongPurpose, "not a signature (nonRepudiation) certificate");
    }
    return std::nullopt;
}

}  // namespace

VerifyResult<CmsSignatureInfo> Verifier::verify_cms(std::span<const std::uint8_t> cms_der,
                                                    std::span<const std::uint8_t> content) const {
    if (cms_der.empty() || cms_der.size() > kMaxCmsBytes) {
        return failure(VerifyError::FormatInvalid, "empty or oversized CMS");
    }
    const unsigned char* p = cms_der.data();
    ossl::CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(cms_der.size())));
    if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
        ossl::last_error();
        return failure(VerifyError::FormatInvalid, "not a DER CMS SignedData");
    }
    STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
    if (sk_CMS_SignerInfo_num(infos) != 1) {
        return failure(VerifyError::FormatInvalid, "not exactly one signer");
    }
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
    ossl::CertStackPtr carried(CMS_get1_certs(cms.get()));
    if (!carried) carried.reset(sk_X509_new_null());
    X509* signer = nullptr;
    for (int i = 0; i < sk_X509_num(carried.get()); ++i) {
        if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(carried.get(), i)) == 0) {
            signer = sk_X509_value(carried.get(), i);
            break;
        }
    }
    if (!signer)
        return failure(VerifyError::CertificateInvalid, "the signer certificate is not included");
    EVP_PKEY* key = X509_get0_pubkey(signer);
    if (!key) return failure(VerifyError::CertificateInvalid, "no usable public key");
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) < 2048) {
        return failure(VerifyError::CertificateInvalid, "RSA key shorter than 2048 bits");
    }
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && ossl::ec_curve(key).empty()) {
        return failure(VerifyError::AlgorithmNotAllowed, "EC curve not allowed");
    }
    if (CMS_signed_get_attr_count(si) <= 0) {
        return failure(VerifyError::FormatInvalid, "no signed attributes");
    }

    // The signature and messageDigest against the content; the chain is checked below.
    // (CMS_CADES would make CMS_verify build the chain itself, so signingCertificateV2 is
    // checked separately.)
    ossl::BioPtr data(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
    const unsigned int flags = CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY | CMS_NOINTERN;
    ossl::ShallowCertStackPtr signers(sk_X509_new_null());
    sk_X509_push(signers.get(), signer);
    if (CMS_verify(cms.get(), signers.get(), nullptr, data.get(), nullptr, flags) != 1) {
        return failure(VerifyError::SignatureInvalid,
                       "CMS signature invalid: " + ossl::last_error());
    }
    if (!signing_certificate_matches(si, signer)) {
        return failure(VerifyError::SignatureInvalid,
                       "no signingCertificateV2 attribute naming the signer certificate");
    }
    if (auto f = impl_->check_validity(signer)) return *f;
    if (auto f = check_purpose(signer)) return *f;
    auto issuer = impl_->check_chain(signer, carried.get());
    if (!issuer) return issuer.error();
    if (auto f = impl_->check_revocation(signer, issuer->get(), carried.get())) return *f;

    auto identity = certificate_identity(ossl::certificate_der(signer));
    if (!identity) return failure(VerifyError::CertificateInvalid, "unreadable subject");
    return CmsSignatureInfo{std::move(*identity), content_description(si), signing_time(si)};
}

}  // namespace sithsd::protocol
