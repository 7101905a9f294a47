// changePin and unblockPin (local programs only): the current PIN or the PUK, then the new PIN,
// both asked by the daemon's own prompt; never through the socket.
#include "daemon/config.hpp"
#include "daemon/methods/card_job.hpp"
#include "daemon/methods/errors.hpp"
#include "daemon/methods/handlers.hpp"
#include "daemon/methods/pin_asker.hpp"
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
                 who = entry.origin](AuditEntry& audit) -> boost::json::value {
        Cards& cards = services.cards;
        const auto prompts = pin_change_prompts(services.config.language, kind, who, unblock);
        // The current PIN (or the PUK) is asked again after a wrong one; the new PIN, once.
        PinAsker asker(
            services, *pending, audit, card_id, kind,
            [&](const pkcs11::PinInfo&) { return prompts.current; },
            unblock ? PinAsk::puk : PinAsk::current);
        pkcs11::Secret new_secret;
        bool chosen = false;
        asker.with_pin<bool>([&](const pkcs11::Secret& current) {
            if (!chosen) {
                const auto outcome = get_pin_of_valid_length(
                    services.prompts, prompts.chosen, new_secret, pending->cancel_token(),
                    services.config.language, asker.state());
                if (outcome != PromptOutcome::ok) throw prompt_error(outcome);
                chosen = true;
            }
            if (unblock)
                cards.unblock_pin(card_id, kind, current, new_secret);
            else
                cards.change_pin(card_id, kind, current, new_secret);
            return true;
        });
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
