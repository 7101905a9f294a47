#include "protocol/errors.hpp"

#include <array>

namespace sithsd::protocol {
namespace {

struct Row {
    ErrorCode code;
    std::string_view reason;
    std::string_view message;
};

// The one table of PROTOCOL.md "Errors" plus the standard JSON-RPC codes.
constexpr std::array kTable{
    Row{ErrorCode::ParseError, "PARSE_ERROR", "The message is not valid JSON."},
    Row{ErrorCode::InvalidRequest, "INVALID_REQUEST",
        "The message is not a valid JSON-RPC request."},
    Row{ErrorCode::MethodNotFound, "METHOD_NOT_FOUND", "The method does not exist."},
    Row{ErrorCode::InvalidParams, "INVALID_PARAMS", "Invalid method parameters."},
    Row{ErrorCode::InternalError, "INTERNAL_ERROR", "Internal error."},
    Row{ErrorCode::OriginDenied, "ORIGIN_DENIED", "The origin is not allowed to use the card."},
    Row{ErrorCode::UserCancelled, "USER_CANCELLED", "The operation was cancelled."},
    Row{ErrorCode::NoCard, "NO_CARD", "No card with a matching certificate is present."},
    Row{ErrorCode::CardRemoved, "CARD_REMOVED", "The card was removed during the operation."},
    Row{ErrorCode::CertificateNotFound, "CERTIFICATE_NOT_FOUND",
        "The certificate was not found or has the wrong purpose."},
    Row{ErrorCode::CertificateSelectionRequired, "CERTIFICATE_SELECTION_REQUIRED",
        "Several certificates match; choose one."},
    Row{ErrorCode::PinIncorrect, "PIN_INCORRECT", "The PIN is incorrect."},
    Row{ErrorCode::PinBlocked, "PIN_BLOCKED", "The PIN is blocked."},
    Row{ErrorCode::PromptUnavailable, "PROMPT_UNAVAILABLE", "There is no way to ask the user."},
    Row{ErrorCode::Busy, "BUSY", "Too many requests are queued for the card."},
    Row{ErrorCode::Timeout, "TIMEOUT", "The user did not answer in time."},
    Row{ErrorCode::TokenError, "TOKEN_ERROR", "The card or its PKCS#11 module failed."},
    Row{ErrorCode::CertificateExpired, "CERTIFICATE_EXPIRED",
        "The certificate is outside its validity period."},
    Row{ErrorCode::LocalOnly, "LOCAL_ONLY", "The method is only allowed over the local socket."},
    Row{ErrorCode::RateLimited, "RATE_LIMITED", "Too many requests from this origin."},
    Row{ErrorCode::ShuttingDown, "SHUTTING_DOWN", "The daemon is shutting down."},
};

const Row* find(ErrorCode code) noexcept {
    for (const auto& row : kTable) {
        if (row.code == code) return &row;
    }
    return nullptr;
}

class Category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "sithsd.protocol"; }
    std::string message(int code) const override {
        const Row* row = find(static_cast<ErrorCode>(code));
        return row ? std::string(row->message) : "unknown sithsd protocol error";
    }
};

}  // namespace

const std::error_category& protocol_category() noexcept {
    static const Category category;
    return category;
}

std::error_code make_error_code(ErrorCode code) noexcept {
    return {static_cast<int>(code), protocol_category()};
}

std::string_view reason_name(ErrorCode code) noexcept {
    const Row* row = find(code);
    return row ? row->reason : "INTERNAL_ERROR";
}

std::string_view default_message(ErrorCode code) noexcept {
    const Row* row = find(code);
    return row ? row->message : "Internal error.";
}

std::optional<ErrorCode> error_code_from_int(int code) noexcept {
    if (const Row* row = find(static_cast<ErrorCode>(code))) return row->code;
    return std::nullopt;
}

ProtocolError::ProtocolError(ErrorCode c) : code(c), message(default_message(c)) {}

ProtocolError::ProtocolError(ErrorCode c, std::string msg, boost::json::object extra)
    : code(c), message(std::move(msg)), data(std::move(extra)) {}

ProtocolError invalid_params(std::string_view field, std::string message) {
    boost::json::object data;
    data["field"] = field;
    return ProtocolError(ErrorCode::InvalidParams, std::move(message), std::move(data));
}

ProtocolError pin_incorrect(std::string_view pin_status) {
    boost::json::object data;
    data["pinStatus"] = pin_status;
    return ProtocolError(ErrorCode::PinIncorrect,
                         std::string(default_message(ErrorCode::PinIncorrect)), std::move(data));
}

ProtocolError token_error(std::string_view ckr_name) {
    boost::json::object data;
    data["ckr"] = ckr_name;
    return ProtocolError(ErrorCode::TokenError, std::string(default_message(ErrorCode::TokenError)),
                         std::move(data));
}

ProtocolError selection_required(boost::json::array candidates) {
    boost::json::object data;
    data["candidates"] = std::move(candidates);
    return ProtocolError(ErrorCode::CertificateSelectionRequired,
                         std::string(default_message(ErrorCode::CertificateSelectionRequired)),
                         std::move(data));
}

}  // namespace sithsd::protocol
