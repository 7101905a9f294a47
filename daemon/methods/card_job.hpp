#pragma once
// The one runner of card methods (authenticate, sign, changePin, unblockPin): the job waits on the
// card's queue, and every way it can end (a result, a wire error, a card error, a prompt that
// ended without an answer, an exception, a cancel or shutdown that answered first) becomes one
// audit line and exactly one answer, the line flushed before the answer goes out.
#include <functional>
#include <memory>
#include <string>

#include "daemon/audit_log.hpp"
#include "daemon/cards.hpp"
#include "daemon/pending_requests.hpp"
#include "daemon/prompt_texts.hpp"

namespace sithsd::daemon {

class Prompts;

class CardJobRunner {
  public:
    CardJobRunner(Cards& cards, Audit& audit) : cards_(cards), audit_(audit) {}

    // Fills the entry's result and returns the answer; throws to fail (see above).
    using Body = std::function<boost::json::value(AuditEntry& entry)>;

    // Queues body on the card's queue (BUSY when it is full).
    void run(const std::shared_ptr<PendingRequest>& pending, AuditEntry entry,
             const std::string& card_id, Body body);
    // Ends a request before it reaches the queue (bad params, no such certificate).
    void fail(const std::shared_ptr<PendingRequest>& pending, AuditEntry entry,
              const protocol::ProtocolError& error);

  private:
    void execute(const std::shared_ptr<PendingRequest>& pending, AuditEntry& entry,
                 const Body& body);
    void finish(const std::shared_ptr<PendingRequest>& pending, AuditEntry& entry,
                const boost::json::value* result, const protocol::ProtocolError* error);

    Cards& cards_;
    Audit& audit_;
};

// Asks for a PIN, or on a PIN-pad reader shows the message to use the reader's keys (kept open in
// pad_message while the card waits). Throws the wire error when the prompt ends without a PIN,
// and the request's answer when it was answered meanwhile (cancel, client gone, shutdown, card
// removed).
void ask_pin(Prompts& prompts, PendingRequest& pending, const PinPromptFacts& facts,
             const pkcs11::PinInfo& state, pkcs11::Secret& pin,
             std::unique_ptr<PromptMessage>& pad_message);

// Asks until the answer has a length the token accepts: an empty PIN, or one too short or too
// long, would cost a try on the card for nothing, so it is asked again with the reason shown,
// at most kPinAsks times in all (then the person is taken to have given up: cancelled).
inline constexpr int kPinAsks = 5;
PromptOutcome get_pin_of_valid_length(Prompts& prompts, PromptText text, pkcs11::Secret& pin,
                                      CancelToken& cancel, const std::string& language,
                                      const pkcs11::PinInfo& state);

}  // namespace sithsd::daemon
