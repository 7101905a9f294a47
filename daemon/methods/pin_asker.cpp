#include "daemon/methods/pin_asker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/config.hpp"
#include "daemon/methods/errors.hpp"

namespace sithsd::daemon {

using pkcs11::CardErrorReason;
using pkcs11::PinStatus;
using protocol::ErrorCode;
using protocol::ProtocolError;

std::string wrong_pin_line(const std::string& language, PinStatus status, bool puk) {
    const bool sv = language != "en";
    std::string line =
        puk ? (sv ? "Fel PUK-kod." : "Wrong PUK.") : (sv ? "Fel PIN-kod." : "Wrong PIN.");
    if (puk) return line;
    if (status == PinStatus::final_try)
        line +=
            sv ? " Sista försöket: fel PIN spärrar koden." : " Final try: a wrong PIN blocks it.";
    else if (const int left = tries_left(status); left > 1)
        line += sv ? " " + std::to_string(left) + " försök kvar."
                   : " " + std::to_string(left) + " tries left.";
    return line;
}

PromptOutcome get_pin_of_valid_length(Prompts& prompts, PromptText text, pkcs11::Secret& pin,
                                      CancelToken& cancel, const std::string& language,
                                      const pkcs11::PinInfo& state) {
    const std::size_t min = std::max<std::size_t>(state.min_length, 1);
    const std::size_t max = state.max_length;
    for (int ask = 0; ask < kPinLengthAsks; ++ask) {
        const auto outcome = prompts.get_pin(text, pin, cancel);
        if (outcome != PromptOutcome::ok) return outcome;
        if (pin.size() >= min && (max == 0 || pin.size() <= max)) return outcome;
        pin.clear();
        text.error = pin_length_error(language, min, max);
    }
    return PromptOutcome::cancelled;
}

PinAsker::TextFor key_pin_text(const Services& services, const pkcs11::CardCertificate& cert,
                               PinKind kind, std::string requester,
                               std::optional<std::string> display_text) {
    return [&services, cert, kind, requester = std::move(requester),
            display_text = std::move(display_text)](const pkcs11::PinInfo& state) {
        const PinPromptFacts facts{services.config.language,
                                   kind,
                                   requester,
                                   prompt_holder(services.cards.cards(), cert),
                                   state.status,
                                   display_text};
        return pin_text(facts, state.pin_pad);
    };
}

PinAsker::PinAsker(const Services& services, PendingRequest& pending, const AuditEntry& audit,
                   std::string card_id, PinKind kind, TextFor text_for, PinAsk what)
    : services_(services),
      pending_(pending),
      audit_(audit),
      card_id_(std::move(card_id)),
      kind_(kind),
      text_for_(std::move(text_for)),
      what_(what),
      state_(services.cards.pin_info(card_id_, kind)) {}

void PinAsker::ask_for(pkcs11::Secret& pin, std::unique_ptr<PromptMessage>& pad_message) {
    const bool puk = what_ == PinAsk::puk;
    if (!puk && state_.status == PinStatus::locked) {
        pkcs11::CardError blocked(CardErrorReason::pin_locked, "blocked");
        blocked.pin_status = PinStatus::locked;
        throw blocked;
    }
    PromptText text = text_for_(state_);
    if (pin_pad()) {
        pad_message = services_.prompts.show_message(text);
    } else {
        if (wrong_ > 0) text.error = wrong_pin_line(services_.config.language, state_.status, puk);
        // The PUK's lengths are not the PIN's: only an empty PUK is asked again.
        const pkcs11::PinInfo lengths = puk ? pkcs11::PinInfo{} : state_;
        const auto outcome = get_pin_of_valid_length(services_.prompts, std::move(text), pin,
                                                     pending_.cancel_token(),
                                                     services_.config.language, lengths);
        if (outcome != PromptOutcome::ok) {
            ProtocolError error = prompt_error(outcome);
            // After wrong PINs the person learns where the card stands.
            if (wrong_ > 0 && !puk) add_pin_state(error.data, state_.status);
            throw error;
        }
    }
    // Answered meanwhile (cancel, client gone, shutdown, card removed): that answer stands.
    if (pending_.answered()) throw ProtocolError(pending_.answered_with());
}

bool PinAsker::after_failure(const pkcs11::CardError& e) {
    if (e.reason() != CardErrorReason::pin_incorrect && e.reason() != CardErrorReason::pin_locked)
        return false;
    if (e.pin_status) state_.status = *e.pin_status;
    reread();
    if (e.reason() != CardErrorReason::pin_incorrect || pin_pad()) return false;
    ++wrong_;
    // The try's own line; the request's last line is written when it ends.
    AuditEntry line = audit_;
    line.result = std::string(protocol::reason_name(ErrorCode::PinIncorrect));
    services_.audit.append(line);
    return true;
}

void PinAsker::reread() {
    try {
        state_ = services_.cards.reread_pin(card_id_, kind_);
    } catch (const pkcs11::CardError& e) {
        // The card went away meanwhile: the answer says so; its state is read when it comes back.
        spdlog::debug("PIN state not read again: {}", e.what());
    }
}

}  // namespace sithsd::daemon
