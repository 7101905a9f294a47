#pragma once
// The one place where what went wrong below (the card layer, the prompt) becomes a wire error.
#include "daemon/prompt.hpp"
#include "pkcs11/card_error.hpp"
#include "protocol/errors.hpp"

namespace sithsd::daemon {

// Tries left as counted from the token's flags for a SITHS card's three tries (3 ok, 2 countLow,
// 1 finalTry, 0 locked); -1 when the token does not say.
int tries_left(pkcs11::PinStatus status);
// data.pinStatus, and data.triesLeft when known.
void add_pin_state(boost::json::object& data, pkcs11::PinStatus status);

protocol::ProtocolError to_protocol_error(const pkcs11::CardError& e);
// For a prompt that did not end with an answer (cancelled, timed out, could not be started).
protocol::ProtocolError prompt_error(PromptOutcome outcome);

}  // namespace sithsd::daemon
