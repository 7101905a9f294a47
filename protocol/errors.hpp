#pragma once
// The error codes of PROTOCOL.md as a std::error_code category, and the errors the daemon answers
// with. The table (code, reason name, retryable, default English message) is wire_errors.hpp.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "protocol/wire_errors.hpp"

namespace sithsd::protocol {

const std::error_category& protocol_category() noexcept;
std::error_code make_error_code(ErrorCode code) noexcept;

// "ORIGIN_DENIED", "INVALID_PARAMS", ... (the reason names of PROTOCOL.md's table).
std::string_view reason_name(ErrorCode code) noexcept;
// The default English sentence for error.message.
std::string_view default_message(ErrorCode code) noexcept;

// An error to answer with: code, message, and extra data (field, pinStatus, ckr, candidates...).
// data.reason is added when it is serialized.
struct ProtocolError {
    ErrorCode code = ErrorCode::InternalError;
    std::string message;
    boost::json::object data;

    ProtocolError() = default;
    explicit ProtocolError(ErrorCode c);
    ProtocolError(ErrorCode c, std::string msg, boost::json::object extra = {});
};

// -32602 with data.field naming the offending field.
ProtocolError invalid_params(std::string_view field, std::string message);
// PIN_INCORRECT with data.pinStatus ("ok|countLow|finalTry|locked|unknown") after the attempt.
ProtocolError pin_incorrect(std::string_view pin_status);
// TOKEN_ERROR with data.ckr, the CKR_ name (e.g. "CKR_DEVICE_ERROR").
ProtocolError token_error(std::string_view ckr_name);
// CERTIFICATE_SELECTION_REQUIRED with data.candidates (the certificates as listCertificates).
ProtocolError selection_required(boost::json::array candidates);

}  // namespace sithsd::protocol

template <>
struct std::is_error_code_enum<sithsd::protocol::ErrorCode> : std::true_type {};
