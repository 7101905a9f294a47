#include "protocol/errors.hpp"

namespace sithsd::protocol {
namespace {

const WireError* find(ErrorCode code) noexcept {
    return find_wire_error(code);
}

class Category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "sithsd.protocol"; }
    std::string message(int code) const override {
        const WireError* row = find(static_cast<ErrorCode>(code));
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
    const WireError* row = find(code);
    return row ? row->reason : "INTERNAL_ERROR";
}

std::string_view default_message(ErrorCode code) noexcept {
    const WireError* row = find(code);
    return row ? row->message : "Internal error.";
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
