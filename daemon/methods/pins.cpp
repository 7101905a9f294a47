// changePin and unblockPin (local programs only): the current PIN or the PUK, then the new PIN,
// both asked by the daemon's own prompt; never through the socket.
#include "daemon/config.hpp"
#include "daemon/methods/card_job.hpp"
#include "daemon/methods/errors.hpp"
#include "daemon/methods/handlers.hpp"
#include "pkcs11/card_error.hpp"

namespace sithsd::daemon {

namespace {

void manage_pin(const Services& services, const Call& call, bool unblock) {
    const auto& params = std::get<protocol::PinParams>(call.params);
    AuditEntry entry;
    entry.method = unblock ? "unblockPin" : "changePin";
    entry.origin = call.request->peer().requester();
    entry.card_id = params.card_id;
    const auto cards = services.cards.cards();
    if (std::none_of(cards.begin(), cards.end(),
                     [&](const auto& c) { return c.card_id == params.card_id; }))
        return services.jobs.fail(call.request, entry,
                                  protocol::ProtocolError(protocol::ErrorCode::NoCard,
                                                          "No inserted card has that cardId."));

    const auto pending = call.request;
    auto body = [&services, pending, unblock, kind = params.pin, card_id = params.card_id,
                 who = entry.origin](AuditEntry&) -> boost::json::value {
        Cards& cards = services.cards;
        const auto state = cards.pin_info(card_id, kind);
        // A blocked PIN cannot be changed: said before any PIN is asked (the PUK unblocks it).
        if (!unblock && state.status == pkcs11::PinStatus::locked)
            throw pkcs11::CardError(pkcs11::CardErrorReason::pin_locked, "blocked");
        const auto prompts = pin_change_prompts(services.config.language, kind, who, unblock);
        pkcs11::Secret old_secret, new_secret;
        const std::string& language = services.config.language;
        // The PUK's lengths are not the PIN's: only an empty PUK is asked again.
        const pkcs11::PinInfo current_lengths = unblock ? pkcs11::PinInfo{} : state;
        auto outcome = get_pin_of_valid_length(services.prompts, prompts.current, old_secret,
                                               pending->cancel_token(), language, current_lengths);
        if (outcome == PromptOutcome::ok)
            outcome = get_pin_of_valid_length(services.prompts, prompts.chosen, new_secret,
                                              pending->cancel_token(), language, state);
        if (outcome != PromptOutcome::ok) throw prompt_error(outcome);
        if (unblock)
            cards.unblock_pin(card_id, kind, old_secret, new_secret);
        else
            cards.change_pin(card_id, kind, old_secret, new_secret);
        cards.request_refresh();
        return boost::json::object{{"changed", true}};
    };
    services.jobs.run(call.request, std::move(entry), params.card_id, std::move(body));
}

}  // namespace

void change_pin(const Services& services, const Call& call) {
    manage_pin(services, call, false);
}

void unblock_pin(const Services& services, const Call& call) {
    manage_pin(services, call, true);
}

}  // namespace sithsd::daemon
