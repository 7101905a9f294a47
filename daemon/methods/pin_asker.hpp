#pragma once
// The one place where a card method gets a PIN (authenticate, sign, moduleSign, changePin,
// unblockPin). As GnuPG's pinentry does, a wrong PIN is asked again in the same request, the
// prompt carrying the error line ("Fel PIN-kod. 2 försök kvar."), until the person types the right
// one, cancels, or the PIN is blocked: then PIN_BLOCKED and never a further try. Every try is a PIN
// the person typed. After every login attempt the PIN's state is read again from the card and
// shown at once (listCards, cardsChanged); every wrong try gets its own audit line.
#include <functional>
#include <memory>
#include <string>

#include "daemon/audit_log.hpp"
#include "daemon/methods/services.hpp"
#include "daemon/pending_requests.hpp"
#include "daemon/prompt_texts.hpp"
#include "pkcs11/card_error.hpp"

namespace sithsd::daemon {

// Wrong PINs one request may take before it ends with PIN_INCORRECT: a card that counts blocks the
// PIN sooner (3 tries on a SITHS card); this bounds a token that does not count (SoftHSM2).
constexpr int kMaxPinAsks = 5;

// Asks until the answer has a length the token accepts: an empty PIN, or one too short or too
// long, would cost a try on the card for nothing, so it is asked again with the reason shown, at
// most kPinLengthAsks times in all (then the person is taken to have given up: cancelled).
inline constexpr int kPinLengthAsks = 5;
PromptOutcome get_pin_of_valid_length(Prompts& prompts, PromptText text, pkcs11::Secret& pin,
                                      CancelToken& cancel, const std::string& language,
                                      const pkcs11::PinInfo& state);

// The error line of a prompt asked again after a wrong PIN (or PUK).
std::string wrong_pin_line(const std::string& language, pkcs11::PinStatus status, bool puk);

// What is asked: a key's PIN (on a PIN-pad reader, with the reader's keys); or, for changePin and
// unblockPin, the current PIN or the PUK, always typed in the prompt like the new PIN after it.
enum class PinAsk { key, current, puk };

class PinAsker {
  public:
    // The prompt's text for the PIN's state now (status, pin_pad).
    using TextFor = std::function<PromptText(const pkcs11::PinInfo& state)>;
    // kind: the PIN whose state is read before the first ask and after every try; the PUK's state
    // the token does not tell: it is never refused beforehand. audit: the request's entry, which
    // outlives this asker.
    PinAsker(const Services& services, PendingRequest& pending, const AuditEntry& audit,
             std::string card_id, PinKind kind, TextFor text_for, PinAsk what = PinAsk::key);

    // The state read last (before any ask: refuses a locked PIN with PIN_BLOCKED).
    const pkcs11::PinInfo& state() const { return state_; }

    // Calls attempt with a PIN the person typed, again after every wrong one (see above). Throws
    // the wire error of a prompt that ended without a PIN (with the tries left after wrong ones),
    // PIN_BLOCKED, or the card's error.
    template <class Result>
    Result with_pin(const std::function<Result(const pkcs11::Secret&)>& attempt) {
        for (int ask = 1;; ++ask) {
            pkcs11::Secret pin;
            std::unique_ptr<PromptMessage> pad_message;
            ask_for(pin, pad_message);
            try {
                Result result = attempt(pin);
                reread();
                return result;
            } catch (const pkcs11::CardError& e) {
                if (!after_failure(e) || ask >= kMaxPinAsks) throw;
            }
        }
    }

  private:
    // Refuses a locked PIN, then asks (or shows the PIN-pad message).
    void ask_for(pkcs11::Secret& pin, std::unique_ptr<PromptMessage>& pad_message);
    // After a failed try: reads the state again; true when the PIN is asked again (a wrong PIN,
    // typed in a prompt), after writing the try's audit line.
    bool after_failure(const pkcs11::CardError& e);
    void reread();
    bool pin_pad() const { return what_ == PinAsk::key && state_.pin_pad; }

    const Services& services_;
    PendingRequest& pending_;
    const AuditEntry& audit_;  // the request's, filled as the job goes
    std::string card_id_;
    PinKind kind_;
    TextFor text_for_;
    PinAsk what_;
    pkcs11::PinInfo state_;
    int wrong_ = 0;  // wrong PINs typed in this request
};

// The PIN prompt for a certificate's key (authenticate, sign, moduleSign), telling the
// certificate apart from a twin on the same card.
PinAsker::TextFor key_pin_text(const Services& services, const pkcs11::CardCertificate& cert,
                               PinKind kind, std::string requester,
                               std::optional<std::string> display_text = std::nullopt);

}  // namespace sithsd::daemon
