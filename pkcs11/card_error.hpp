#pragma once
// The card layer's one error type, shaped by what the caller does next. Every CK_RV goes through
// check() (card_error.cpp), where a single switch maps it to a reason.
#include <optional>
#include <stdexcept>
#include <string>

#include "pkcs11/card_model.hpp"

namespace sithsd::pkcs11 {

enum class CardErrorReason {
    pin_incorrect,  // wrong PIN; pin_status is the status after the attempt (retryable)
    pin_locked,     // the PIN is blocked; no login was attempted, or the card said so
    card_removed,   // the card (or its session) went away during the operation
    cancelled,      // the person cancelled on a PIN-pad reader
    no_card,        // no card, slot or certificate matching the request
    certificate_not_found,
    module_error,  // the module could not be loaded or initialised
    token_error,   // any other PKCS#11 failure; ckr names it
};

class CardError : public std::runtime_error {
  public:
    CardError(CardErrorReason reason, const std::string& message, std::string function = {},
              unsigned long ckr = 0);

    CardErrorReason reason() const { return reason_; }
    const std::string& function() const { return function_; }  // e.g. "C_Login"
    unsigned long ckr() const { return ckr_; }
    std::string ckr_name() const;         // "CKR_PIN_INCORRECT"; empty when no CK_RV is behind it
    std::optional<PinStatus> pin_status;  // set for pin_incorrect / pin_locked

  private:
    CardErrorReason reason_;
    std::string function_;
    unsigned long ckr_;
};

// The name of a CK_RV ("CKR_DEVICE_REMOVED"), or "CKR_0x…" for vendor codes.
std::string ckr_name(unsigned long rv);
// Throws the CardError for a failed PKCS#11 call; returns for CKR_OK.
void check(unsigned long rv, const char* function);
// The reason a CK_RV maps to.
CardErrorReason reason_for(unsigned long rv);

}  // namespace sithsd::pkcs11
