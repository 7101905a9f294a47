#include "protocol/auth_token.hpp"

#include <stdexcept>

#include "protocol/base64.hpp"
#include "protocol/openssl_util.hpp"

namespace sithsd::protocol {

std::string_view jws_algorithm_name(JwsAlgorithm alg) noexcept {
    switch (alg) {
        case JwsAlgorithm::RS256:
            return "RS256";
        case JwsAlgorithm::PS256:
            return "PS256";
        case JwsAlgorithm::ES256:
            return "ES256";
        case JwsAlgorithm::ES384:
            return "ES384";
        case JwsAlgorithm::ES512:
            return "ES512";
    }
    return "RS256";
}

std::optional<JwsAlgorithm> jws_algorithm_from_name(std::string_view name) noexcept {
    for (const auto alg : {JwsAlgorithm::RS256, JwsAlgorithm::PS256, JwsAlgorithm::ES256,
                           JwsAlgorithm::ES384, JwsAlgorithm::ES512}) {
        if (jws_algorithm_name(alg) == name) return alg;
    }
    return std::nullopt;
}

HashAlgorithm jws_hash(JwsAlgorithm alg) noexcept {
    switch (alg) {
        case JwsAlgorithm::ES384:
            return HashAlgorithm::sha384;
        case JwsAlgorithm::ES512:
            return HashAlgorithm::sha512;
        default:
            return HashAlgorithm::sha256;
    }
}

std::optional<JwsAlgorithm> jws_algorithm_for(std::span<const std::uint8_t> certificate_der,
                                              RsaPadding padding) {
    auto cert = ossl::parse_certificate_der(certificate_der);
    if (!cert) return std::nullopt;
    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    if (!key) return std::nullopt;
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
        return padding == RsaPadding::Pss ? JwsAlgorithm::PS256 : JwsAlgorithm::RS256;
    }
    const std::string curve = ossl::ec_curve(key);
    if (curve == "P-256") return JwsAlgorithm::ES256;
    if (curve == "P-384") return JwsAlgorithm::ES384;
    if (curve == "P-521") return JwsAlgorithm::ES512;
    return std::nullopt;
}

std::vector<std::uint8_t> auth_token_message(HashAlgorithm alg, std::string_view origin,
                                             std::string_view challenge_nonce) {
    const auto bytes = [](std::string_view s) {
        return std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    };
    std::vector<std::uint8_t> message = hash(alg, bytes(origin));
    const auto nonce_hash = hash(alg, bytes(challenge_nonce));
    message.insert(message.end(), nonce_hash.begin(), nonce_hash.end());
    return message;
}

boost::json::object make_auth_token(std::span<const std::uint8_t> certificate_der,
                                    std::string_view origin, std::string_view challenge_nonce,
                                    const DigestSigner& signer, std::string_view app_version,
                                    RsaPadding padding) {
    const auto alg = jws_algorithm_for(certificate_der, padding);
    if (!alg) throw std::invalid_argument("certificate with an unsupported key");
    const HashAlgorithm h = jws_hash(*alg);
    const auto digest = hash(h, auth_token_message(h, origin, challenge_nonce));
    std::vector<std::uint8_t> signature = signer(h, digest);
    if (*alg == JwsAlgorithm::ES256 || *alg == JwsAlgorithm::ES384 || *alg == JwsAlgorithm::ES512) {
        auto cert = ossl::parse_certificate_der(certificate_der);
        if (signature.size() != 2 * ossl::ec_half_size(X509_get0_pubkey(cert.get()))) {
            throw std::invalid_argument("ECDSA signature is not r||s of the curve's size");
        }
    }
    boost::json::object token;
    token["format"] = kTokenFormat;
    token["algorithm"] = jws_algorithm_name(*alg);
    token["unverifiedCertificate"] = base64_encode(certificate_der);
    token["signature"] = base64_encode(signature);
    token["appVersion"] = app_version;
    return token;
}

}  // namespace sithsd::protocol
