#include "daemon/methods/errors.hpp"

namespace sithsd::daemon {

using protocol::ErrorCode;
using protocol::ProtocolError;

int tries_left(pkcs11::PinStatus status) {
    switch (status) {
        case pkcs11::PinStatus::ok:
            return 3;
        case pkcs11::PinStatus::count_low:
            return 2;
        case pkcs11::PinStatus::final_try:
            return 1;
        case pkcs11::PinStatus::locked:
            return 0;
        case pkcs11::PinStatus::unknown:
            break;
    }
    return -1;
}

void add_pin_state(boost::json::object& data, pkcs11::PinStatus status) {
    data["pinStatus"] = pkcs11::to_string(status);
    if (const int left = tries_left(status); left >= 0) data["triesLeft"] = left;
}

// The wire codes map 1:1 from the card layer's reasons, here.
ProtocolError to_protocol_error(const pkcs11::CardError& e) {
    using pkcs11::CardErrorReason;
    switch (e.reason()) {
        case CardErrorReason::pin_incorrect: {
            ProtocolError error(ErrorCode::PinIncorrect, "The PIN was wrong.");
            add_pin_state(error.data, e.pin_status.value_or(pkcs11::PinStatus::unknown));
            return error;
        }
        case CardErrorReason::pin_locked: {
            ProtocolError error(ErrorCode::PinBlocked,
                                "The PIN is blocked; no login was attempted.");
            add_pin_state(error.data, pkcs11::PinStatus::locked);
            return error;
        }
        case CardErrorReason::card_removed:
            return ProtocolError(ErrorCode::CardRemoved,
                                 "The card was removed during the operation.");
        case CardErrorReason::cancelled:
            return ProtocolError(ErrorCode::UserCancelled,
                                 "The person cancelled on the card reader.");
        case CardErrorReason::no_card:
            return ProtocolError(ErrorCode::NoCard, "No card is present.");
        case CardErrorReason::certificate_not_found:
            return ProtocolError(ErrorCode::CertificateNotFound, e.what());
        case CardErrorReason::module_error:
        case CardErrorReason::token_error:
            break;
    }
    boost::json::object data;
    if (!e.ckr_name().empty()) data["ckr"] = e.ckr_name();
    return ProtocolError(ErrorCode::TokenError, "The card reported an error.", std::move(data));
}

ProtocolError prompt_error(PromptOutcome outcome) {
    switch (outcome) {
        case PromptOutcome::cancelled:
            return ProtocolError(ErrorCode::UserCancelled);
        case PromptOutcome::timeout:
            return ProtocolError(ErrorCode::Timeout);
        case PromptOutcome::ok:
        case PromptOutcome::unavailable:
            break;
    }
    return ProtocolError(ErrorCode::PromptUnavailable, "No pinentry program could be started.");
}

}  // namespace sithsd::daemon
