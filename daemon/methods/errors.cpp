#include "daemon/methods/errors.hpp"

namespace sithsd::daemon {

using protocol::ErrorCode;
using protocol::ProtocolError;

// The wire codes map 1:1 from the card layer's reasons, here.
ProtocolError to_protocol_error(const pkcs11::CardError& e) {
    using pkcs11::CardErrorReason;
    switch (e.reason()) {
        case CardErrorReason::pin_incorrect:
            return ProtocolError(
                ErrorCode::PinIncorrect, "The PIN was wrong.",
                {{"pinStatus",
                  pkcs11::to_string(e.pin_status.value_or(pkcs11::PinStatus::unknown))}});
        case CardErrorReason::pin_locked:
            return ProtocolError(ErrorCode::PinBlocked,
                                 "The PIN is blocked; no login was attempted.",
                                 {{"pinStatus", "locked"}});
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
