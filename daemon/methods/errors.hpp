#pragma once
// The one place where what went wrong below (the card layer, the prompt) becomes a wire error.
#include "daemon/prompt.hpp"
#include "pkcs11/card_error.hpp"
#include "protocol/errors.hpp"

namespace sithsd::daemon {

protocol::ProtocolError to_protocol_error(const pkcs11::CardError& e);
// For a prompt that did not end with an answer (cancelled, timed out, could not be started).
protocol::ProtocolError prompt_error(PromptOutcome outcome);

}  // namespace sithsd::daemon
