#pragma once
// Every method's params as a typed request, checked to the letter of PROTOCOL.md. A wrong type,
// a missing required field or a bad value gives -32602 with data.field naming the field;
// unknown fields are ignored.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/vocabulary.hpp"
#include "protocol/errors.hpp"
#include "protocol/hash_algorithm.hpp"
#include "protocol/origin.hpp"
#include "protocol/result.hpp"

namespace sithsd::protocol {

template <class T>
using ParamsResult = Result<T, ProtocolError>;

inline constexpr std::size_t kMinNonceChars = 44;
inline constexpr std::size_t kMaxNonceChars = 128;
inline constexpr std::size_t kMaxSignDataBytes = std::size_t{512} * 1024;

enum class Requirement { HsaId, PersonalIdentityNumber };
enum class SignFormat { Raw, Cms };

std::string_view requirement_name(Requirement r) noexcept;
std::string_view sign_format_name(SignFormat f) noexcept;

struct ListCertificatesParams {
    std::optional<Purpose> purpose;
    std::optional<std::string> card_id;
    std::optional<Requirement> require;
};

struct AuthenticateParams {
    std::string challenge_nonce;
    std::optional<std::string> certificate_id;
    std::optional<Requirement> require;
    // Required over the Unix socket, refused over WebSocket: the dispatcher knows the transport.
    std::optional<std::string> origin;
};

struct SignParams {
    std::optional<std::string> certificate_id;
    std::optional<std::string> display_text;  // required for Cms; absent: the page said nothing
    SignFormat format = SignFormat::Raw;
    // Exactly one of these two is set.
    std::optional<std::vector<std::uint8_t>> hash;  // its length matches hash_algorithm
    std::optional<std::vector<std::uint8_t>> data;  // at most kMaxSignDataBytes
    // With hash: the given one. With data: the given one, or SHA-256 when none was given.
    HashAlgorithm hash_algorithm = HashAlgorithm::sha256;
};

struct CancelParams {
    boost::json::value id;  // string or number
};

struct PinParams {  // changePin, unblockPin
    std::string card_id;
    PinKind pin = PinKind::identification;
};

ParamsResult<ListCertificatesParams> parse_list_certificates(const boost::json::object& params);
ParamsResult<AuthenticateParams> parse_authenticate(const boost::json::object& params);
// With the rule for `origin`: required from a local program, refused (-32602) where a browser
// vouches for the origin (the handshake's or the extension's origin is the only one).
ParamsResult<AuthenticateParams> parse_authenticate(const boost::json::object& params,
                                                    OriginAuthority caller);
ParamsResult<SignParams> parse_sign(const boost::json::object& params);
ParamsResult<CancelParams> parse_cancel(const boost::json::object& params);
ParamsResult<PinParams> parse_change_pin(const boost::json::object& params);
ParamsResult<PinParams> parse_unblock_pin(const boost::json::object& params);

// introduce: a local program says what it relays for. "extension" (the native-messaging host of
// the browser extension) with the page's origin as the browser gave it; "browserModule" (the
// PKCS#11 module a browser loaded, for TLS client login) with no origin.
struct IntroduceParams {
    OriginAuthority as = OriginAuthority::extension;
    std::optional<Origin> origin;  // extension only
};
ParamsResult<IntroduceParams> parse_introduce(const boost::json::object& params);

// The number of Unicode code points of valid UTF-8 text.
std::size_t utf8_length(std::string_view text) noexcept;

}  // namespace sithsd::protocol
