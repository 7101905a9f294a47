#pragma once
// The authentication token in the Web eID format "web-eid:1.0" (PROTOCOL.md `authenticate`).

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/hash_algorithm.hpp"
#include "protocol/signer.hpp"

namespace sithsd::protocol {

inline constexpr std::string_view kTokenFormat = "web-eid:1.0";

enum class JwsAlgorithm { RS256, PS256, ES256, ES384, ES512 };

std::string_view jws_algorithm_name(JwsAlgorithm alg) noexcept;  // "RS256"
std::optional<JwsAlgorithm> jws_algorithm_from_name(std::string_view name) noexcept;
// SHA-256 for RS256/PS256/ES256, SHA-384 for ES384, SHA-512 for ES512.
HashAlgorithm jws_hash(JwsAlgorithm alg) noexcept;

// The JWS algorithm for a certificate's key: RSA → RS256 (PS256 with RsaPadding::Pss), EC P-256 →
// ES256, P-384 → ES384, P-521 → ES512. nullopt for a certificate that cannot be parsed or another
// key type.
std::optional<JwsAlgorithm> jws_algorithm_for(std::span<const std::uint8_t> certificate_der,
                                              RsaPadding padding = RsaPadding::Pkcs1);

// The signed message H(UTF-8 origin) || H(UTF-8 challengeNonce).
std::vector<std::uint8_t> auth_token_message(HashAlgorithm alg, std::string_view origin,
                                             std::string_view challenge_nonce);

// Makes the token: the signer is asked to sign H(message) with jws_hash(algorithm). Throws
// std::invalid_argument for an unusable certificate or a malformed ECDSA answer of the signer.
boost::json::object make_auth_token(std::span<const std::uint8_t> certificate_der,
                                    std::string_view origin, std::string_view challenge_nonce,
                                    const DigestSigner& signer, std::string_view app_version,
                                    RsaPadding padding = RsaPadding::Pkcs1);

}  // namespace sithsd::protocol
