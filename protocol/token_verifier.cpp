// Verifier::verify_token: the checks of Web eID's validator on a web-eid:1 token.
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <boost/json/parse.hpp>

#include "protocol/auth_token.hpp"
#include "protocol/base64.hpp"
#include "protocol/verifier_impl.hpp"

namespace sithsd::protocol {
namespace {

constexpr std::size_t kMaxTokenBytes = std::size_t{64} * 1024;

VerifyFailure failure(VerifyError e, std::string detail) {
    return {e, std::move(detail)};
}

bool is_ecdsa(JwsAlgorithm alg) {
    return alg == JwsAlgorithm::ES256 || alg == JwsAlgorithm::ES384 || alg == JwsAlgorithm::ES512;
}

// Does the key fit the algorithm (and is it strong enough)?
std::optional<VerifyFailure> check_key(EVP_PKEY* key, JwsAlgorithm alg) {
    if (!key) return failure(VerifyError::CertificateInvalid, "no usable public key");
    if (alg == JwsAlgorithm::RS256 || alg == JwsAlgorithm::PS256) {
        if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
            return failure(VerifyError::AlgorithmNotAllowed, "RSA algorithm with a non-RSA key");
        }
        if (EVP_PKEY_get_bits(key) < 2048) {
            return failure(VerifyError::CertificateInvalid, "RSA key shorter than 2048 bits");
        }
        return std::nullopt;
    }
    const std::string curve = ossl::ec_curve(key);
    const char* wanted = alg == JwsAlgorithm::ES256   ? "P-256"
                         : alg == JwsAlgorithm::ES384 ? "P-384"
                                                      : "P-521";
    if (curve != wanted) {
        return failure(VerifyError::AlgorithmNotAllowed,
                       "the key's curve does not match the algorithm");
    }
    return std::nullopt;
}

// Identification certificate: key usage digitalSignature, and clientAuth when an EKU is present.
std::optional<VerifyFailure> check_purpose(X509* cert) {
    const std::uint32_t ku = X509_get_key_usage(cert);  // UINT32_MAX: no extension
    if (ku == UINT32_MAX || !(ku & KU_DIGITAL_SIGNATURE)) {
        return failure(VerifyError::WrongPurpose,
                       (ku != UINT32_MAX && (ku & KU_NON_REPUDIATION))
                           ? "a signature (nonRepudiation) certificate, not an identification one"
                           : "key usage lacks digitalSignature");
    }
    if ((X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) &&
        !(X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT)) {
        return failure(VerifyError::WrongPurpose, "extended key usage lacks clientAuth");
    }
    return std::nullopt;
}

bool verify_signature(EVP_PKEY* key, JwsAlgorithm alg, std::span<const std::uint8_t> message,
                      std::vector<std::uint8_t> signature) {
    if (is_ecdsa(alg)) {
        if (signature.size() != 2 * ossl::ec_half_size(key)) return false;
        signature = ossl::ecdsa_raw_to_der(signature);
        if (signature.empty()) return false;
    }
    ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (!ctx ||
        EVP_DigestVerifyInit(ctx.get(), &pctx, ossl::md_for(jws_hash(alg)), nullptr, key) != 1) {
        return false;
    }
    if (alg == JwsAlgorithm::PS256 &&
        (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
        return false;
    }
    const int ok = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                                    message.size());
    ossl::last_error();  // a bad signature leaves errors on the queue
    return ok == 1;
}

std::optional<std::string> string_field(const boost::json::object& o, std::string_view name) {
    const auto* v = o.if_contains(name);
    if (!v || !v->is_string()) return std::nullopt;
    return std::string(v->get_string());
}

}  // namespace

VerifyResult<CertificateIdentity> Verifier::verify_token(std::string_view token_json,
                                                         std::string_view origin,
                                                         std::string_view challenge_nonce) const {
    if (token_json.size() > kMaxTokenBytes)
        return failure(VerifyError::FormatInvalid, "token too large");
    boost::json::parse_options popts;
    popts.max_depth = 8;
    boost::system::error_code ec;
    const boost::json::value doc = boost::json::parse(token_json, ec, {}, popts);
    if (ec || !doc.is_object())
        return failure(VerifyError::FormatInvalid, "the token is not a JSON object");
    const auto& token = doc.get_object();
    const auto format = string_field(token, "format");
    const auto algorithm = string_field(token, "algorithm");
    const auto certificate = string_field(token, "unverifiedCertificate");
    const auto signature = string_field(token, "signature");
    if (!format || !algorithm || !certificate || !signature) {
        return failure(VerifyError::FormatInvalid, "a token field is missing or not a string");
    }
    // Web eID accepts any 1.x token: "web-eid:1" and "web-eid:1.<minor>".
    if (!(*format == "web-eid:1" || format->rfind("web-eid:1.", 0) == 0)) {
        return failure(VerifyError::FormatInvalid, "unsupported token format");
    }
    const auto alg = jws_algorithm_from_name(*algorithm);
    if (!alg) return failure(VerifyError::AlgorithmNotAllowed, "algorithm not in the allow list");

    const auto der = base64_decode(*certificate);
    if (!der)
        return failure(VerifyError::CertificateInvalid, "unverifiedCertificate is not base64");
    auto cert = ossl::parse_certificate_der(*der);
    if (!cert)
        return failure(VerifyError::CertificateInvalid,
                       "unverifiedCertificate is not a certificate");
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    if (auto f = check_key(key, *alg)) return *f;
    if (auto f = impl_->check_validity(cert.get())) return *f;
    if (auto f = check_purpose(cert.get())) return *f;

    auto sig = base64_decode(*signature);
    if (!sig || sig->empty()) return failure(VerifyError::FormatInvalid, "signature is not base64");
    const auto message = auth_token_message(jws_hash(*alg), origin, challenge_nonce);
    if (!verify_signature(key, *alg, message, std::move(*sig))) {
        return failure(VerifyError::SignatureInvalid,
                       "the signature does not match origin and nonce");
    }

    auto issuer = impl_->check_chain(cert.get(), nullptr);
    if (!issuer) return issuer.error();
    if (auto f = impl_->check_revocation(cert.get(), issuer->get(), nullptr)) return *f;

    auto identity = certificate_identity(*der);
    if (!identity) return failure(VerifyError::CertificateInvalid, "unreadable subject");
    return *identity;
}

}  // namespace sithsd::protocol
