#pragma once
// The one table of wire errors (docs/PROTOCOL.md "Errors"): every code, its reason name, whether
// trying again may help, and the default English sentence. Plain constexpr C++ with no Boost, so
// that the client library (client/) checks its C status codes against it at compile time.
// Everything else that names these errors is checked against this table by
// tests/protocol/check_wire_errors.py (the TypeScript client, the demo's and the extension's
// words, the Python client, the C header): a reason added here and missing there fails `make test`.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sithsd::protocol {

enum class ErrorCode : int {
    ParseError = -32700,
    InvalidRequest = -32600,
    MethodNotFound = -32601,
    InvalidParams = -32602,
    InternalError = -32603,
    OriginDenied = 1001,
    UserCancelled = 1002,
    NoCard = 1003,
    CardRemoved = 1004,
    CertificateNotFound = 1005,
    CertificateSelectionRequired = 1006,
    PinIncorrect = 1007,
    PinBlocked = 1008,
    PromptUnavailable = 1009,
    Busy = 1010,
    Timeout = 1011,
    TokenError = 1012,
    CertificateExpired = 1013,
    LocalOnly = 1014,
    RateLimited = 1015,
    ShuttingDown = 1016,
};

struct WireError {
    ErrorCode code;
    std::string_view reason;   // error.data.reason on the wire
    bool retryable;            // whether the same request may succeed later (the person can act)
    std::string_view message;  // error.message by default
};

// The daemon's errors: the standard JSON-RPC codes, then PROTOCOL.md's table, in its order.
inline constexpr std::array kWireErrors{
    WireError{ErrorCode::ParseError, "PARSE_ERROR", false, "The message is not valid JSON."},
    WireError{ErrorCode::InvalidRequest, "INVALID_REQUEST", false,
              "The message is not a valid JSON-RPC request."},
    WireError{ErrorCode::MethodNotFound, "METHOD_NOT_FOUND", false, "The method does not exist."},
    WireError{ErrorCode::InvalidParams, "INVALID_PARAMS", false, "Invalid method parameters."},
    WireError{ErrorCode::InternalError, "INTERNAL_ERROR", false, "Internal error."},
    WireError{ErrorCode::OriginDenied, "ORIGIN_DENIED", false,
              "The origin is not allowed to use the card."},
    WireError{ErrorCode::UserCancelled, "USER_CANCELLED", true, "The operation was cancelled."},
    WireError{ErrorCode::NoCard, "NO_CARD", true,
              "No card with a matching certificate is present."},
    WireError{ErrorCode::CardRemoved, "CARD_REMOVED", true,
              "The card was removed during the operation."},
    WireError{ErrorCode::CertificateNotFound, "CERTIFICATE_NOT_FOUND", false,
              "The certificate was not found or has the wrong purpose."},
    WireError{ErrorCode::CertificateSelectionRequired, "CERTIFICATE_SELECTION_REQUIRED", true,
              "Several certificates match; choose one."},
    WireError{ErrorCode::PinIncorrect, "PIN_INCORRECT", true, "The PIN is incorrect."},
    WireError{ErrorCode::PinBlocked, "PIN_BLOCKED", false, "The PIN is blocked."},
    WireError{ErrorCode::PromptUnavailable, "PROMPT_UNAVAILABLE", false,
              "There is no way to ask the user."},
    WireError{ErrorCode::Busy, "BUSY", true, "Too many requests are queued for the card."},
    WireError{ErrorCode::Timeout, "TIMEOUT", true, "The user did not answer in time."},
    WireError{ErrorCode::TokenError, "TOKEN_ERROR", true, "The card or its PKCS#11 module failed."},
    WireError{ErrorCode::CertificateExpired, "CERTIFICATE_EXPIRED", false,
              "The certificate is outside its validity period."},
    WireError{ErrorCode::LocalOnly, "LOCAL_ONLY", false,
              "The method is only allowed over the local socket."},
    WireError{ErrorCode::RateLimited, "RATE_LIMITED", true, "Too many requests from this origin."},
    WireError{ErrorCode::ShuttingDown, "SHUTTING_DOWN", true, "The daemon is shutting down."},
};

// What sithsd-native-host answers itself (PROTOCOL.md "Through the browser extension"): reasons of
// their own, with the JSON-RPC code the host puts beside them (-32000 is the host's own code).
struct HostError {
    std::string_view reason;
    std::int64_t code;
    bool retryable;
};
inline constexpr std::int64_t kHostErrorCode = -32000;
inline constexpr std::array kHostErrors{
    HostError{"NOT_RUNNING", kHostErrorCode, true},
    HostError{"MESSAGE_TOO_LARGE", -32600, false},
    HostError{"ANSWER_TOO_LARGE", -32603, false},
};

[[nodiscard]] constexpr const WireError* find_wire_error(ErrorCode code) noexcept {
    for (const auto& row : kWireErrors)
        if (row.code == code) return &row;
    return nullptr;
}

[[nodiscard]] constexpr const WireError* find_wire_error(std::string_view reason) noexcept {
    for (const auto& row : kWireErrors)
        if (row.reason == reason) return &row;
    return nullptr;
}

// The code for a wire number, if it is one of the table.
[[nodiscard]] constexpr std::optional<ErrorCode> error_code_from_int(std::int64_t code) noexcept {
    for (const auto& row : kWireErrors)
        if (static_cast<std::int64_t>(row.code) == code) return row.code;
    return std::nullopt;
}

}  // namespace sithsd::protocol
