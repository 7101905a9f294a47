#include "pkcs11/card_error.hpp"

#include <p11-kit/pkcs11.h>

#include <cstdio>

namespace sithsd::pkcs11 {

CardError::CardError(CardErrorReason reason, const std::string& message, std::string function,
                     unsigned long ckr)
    : std::runtime_error(message),
      reason_(reason),
      function_(std::move(function)),
      ckr_(ckr) {}

std::string CardError::ckr_name() const {
    return function_.empty() ? std::string() : pkcs11::ckr_name(ckr_);
}

std::string ckr_name(unsigned long rv) {
    switch (rv) {
#define SITHSD_CKR(name) \
    case name:           \
        return #name;
        SITHSD_CKR(CKR_OK)
        SITHSD_CKR(CKR_CANCEL)
        SITHSD_CKR(CKR_HOST_MEMORY)
        SITHSD_CKR(CKR_SLOT_ID_INVALID)
        SITHSD_CKR(CKR_GENERAL_ERROR)
        SITHSD_CKR(CKR_FUNCTION_FAILED)
        SITHSD_CKR(CKR_ARGUMENTS_BAD)
        SITHSD_CKR(CKR_ATTRIBUTE_SENSITIVE)
        SITHSD_CKR(CKR_ATTRIBUTE_TYPE_INVALID)
        SITHSD_CKR(CKR_DATA_INVALID)
        SITHSD_CKR(CKR_DATA_LEN_RANGE)
        SITHSD_CKR(CKR_DEVICE_ERROR)
        SITHSD_CKR(CKR_DEVICE_MEMORY)
        SITHSD_CKR(CKR_DEVICE_REMOVED)
        SITHSD_CKR(CKR_FUNCTION_CANCELED)
        SITHSD_CKR(CKR_FUNCTION_NOT_SUPPORTED)
        SITHSD_CKR(CKR_KEY_HANDLE_INVALID)
        SITHSD_CKR(CKR_KEY_TYPE_INCONSISTENT)
        SITHSD_CKR(CKR_KEY_FUNCTION_NOT_PERMITTED)
        SITHSD_CKR(CKR_MECHANISM_INVALID)
        SITHSD_CKR(CKR_MECHANISM_PARAM_INVALID)
        SITHSD_CKR(CKR_OBJECT_HANDLE_INVALID)
        SITHSD_CKR(CKR_OPERATION_ACTIVE)
        SITHSD_CKR(CKR_OPERATION_NOT_INITIALIZED)
        SITHSD_CKR(CKR_PIN_INCORRECT)
        SITHSD_CKR(CKR_PIN_INVALID)
        SITHSD_CKR(CKR_PIN_LEN_RANGE)
        SITHSD_CKR(CKR_PIN_EXPIRED)
        SITHSD_CKR(CKR_PIN_LOCKED)
        SITHSD_CKR(CKR_SESSION_CLOSED)
        SITHSD_CKR(CKR_SESSION_COUNT)
        SITHSD_CKR(CKR_SESSION_HANDLE_INVALID)
        SITHSD_CKR(CKR_SESSION_READ_ONLY)
        SITHSD_CKR(CKR_SESSION_EXISTS)
        SITHSD_CKR(CKR_SIGNATURE_INVALID)
        SITHSD_CKR(CKR_SIGNATURE_LEN_RANGE)
        SITHSD_CKR(CKR_TOKEN_NOT_PRESENT)
        SITHSD_CKR(CKR_TOKEN_NOT_RECOGNIZED)
        SITHSD_CKR(CKR_USER_ALREADY_LOGGED_IN)
        SITHSD_CKR(CKR_USER_NOT_LOGGED_IN)
        SITHSD_CKR(CKR_USER_PIN_NOT_INITIALIZED)
        SITHSD_CKR(CKR_USER_TYPE_INVALID)
        SITHSD_CKR(CKR_USER_ANOTHER_ALREADY_LOGGED_IN)
        SITHSD_CKR(CKR_BUFFER_TOO_SMALL)
        SITHSD_CKR(CKR_CRYPTOKI_NOT_INITIALIZED)
        SITHSD_CKR(CKR_CRYPTOKI_ALREADY_INITIALIZED)
        SITHSD_CKR(CKR_NO_EVENT)
        SITHSD_CKR(CKR_CANT_LOCK)
#undef SITHSD_CKR
        default: {
            char buffer[32];
            std::snprintf(buffer, sizeof buffer, "CKR_0x%08lx", rv);
            return buffer;
        }
    }
}

CardErrorReason reason_for(unsigned long rv) {
    switch (rv) {
        case CKR_PIN_INCORRECT:
        case CKR_PIN_INVALID:
        case CKR_PIN_LEN_RANGE:
            return CardErrorReason::pin_incorrect;
        case CKR_PIN_LOCKED:
        case CKR_PIN_EXPIRED:
            return CardErrorReason::pin_locked;
        // The card or its session is gone: the caller reports CARD_REMOVED and re-enumerates.
        case CKR_DEVICE_REMOVED:
        case CKR_TOKEN_NOT_PRESENT:
        case CKR_SESSION_HANDLE_INVALID:
        case CKR_SESSION_CLOSED:
        case CKR_SLOT_ID_INVALID:
            return CardErrorReason::card_removed;
        case CKR_FUNCTION_CANCELED:
        case CKR_CANCEL:
            return CardErrorReason::cancelled;
        default:
            return CardErrorReason::token_error;
    }
}

void check(unsigned long rv, const char* function) {
    if (rv == CKR_OK) return;
    throw CardError(reason_for(rv), std::string(function) + " failed: " + ckr_name(rv), function,
                    rv);
}

const char* to_string(PinStatus status) {
    switch (status) {
        case PinStatus::ok:
            return "ok";
        case PinStatus::count_low:
            return "countLow";
        case PinStatus::final_try:
            return "finalTry";
        case PinStatus::locked:
            return "locked";
        case PinStatus::unknown:
            return "unknown";
    }
    return "unknown";
}

}  // namespace sithsd::pkcs11
