#include "daemon/methods/identification_login.hpp"

#include "daemon/config.hpp"
#include "daemon/methods/errors.hpp"
#include "daemon/methods/pin_asker.hpp"
#include "daemon/origin_policy.hpp"
#include "daemon/prompt_texts.hpp"

namespace sithsd::daemon {

RequesterLogin requester_login(const Services& services, const Peer& peer) {
    RequesterLogin login;
    if (services.config.identification_pin_cache.count() == 0) return login;
    if (peer.origin) {
        login.holder = LoginHolder{"origin " + peer.origin_text(), peer.origin_text()};
        // The config's verdict (the allow list), never the person's remembered consent: a page
        // the person allowed once is exactly what must not get the card with one click.
        login.may_confirm = services.policy.status(*peer.origin) == OriginStatus::allowed;
    } else if (!peer.program.empty()) {
        const bool module = peer.authority == OriginAuthority::browser_module;
        login.holder = LoginHolder{(module ? "browser " : "program ") + peer.program, peer.program};
    }
    return login;
}

namespace {

// The person's answer to the confirm for a login kept for others; false: ask the PIN instead.
bool confirmed_to_share(const Services& services, PendingRequest& pending,
                        const pkcs11::CardCertificate& cert, const LoginHolder& requester) {
    const auto holders = services.cards.kept_login_holders(cert.card_id);
    if (holders.empty()) return false;
    const auto outcome = services.prompts.confirm(
        kept_login_prompt(services.config.language, holders.front().name, requester.name,
                          prompt_holder(services.cards.cards(), cert)),
        pending.cancel_token());
    if (outcome != PromptOutcome::ok) throw prompt_error(outcome);
    // Answered meanwhile (cancel, client gone, shutdown, card removed): that answer stands.
    if (pending.answered()) throw protocol::ProtocolError(pending.answered_with());
    services.cards.share_kept_login(cert.card_id, requester);
    return true;
}

}  // namespace

std::vector<std::uint8_t> sign_for_requester(const Services& services, PendingRequest& pending,
                                             const AuditEntry& audit, const RequesterLogin& login,
                                             const pkcs11::CardCertificate& cert,
                                             const pkcs11::SignatureRequest& request,
                                             const std::string& who) {
    Cards& cards = services.cards;
    if (login.holder) {
        if (auto kept = cards.sign_with_kept_login(request, login.holder->scope)) return *kept;
        if (login.may_confirm && confirmed_to_share(services, pending, cert, *login.holder))
            // The kept login may have ended while the person read the question: then the PIN.
            if (auto kept = cards.sign_with_kept_login(request, login.holder->scope)) return *kept;
    }
    PinAsker asker(services, pending, audit, cert.card_id, PinKind::identification,
                   key_pin_text(services, cert, PinKind::identification, who));
    return asker.with_pin<std::vector<std::uint8_t>>(
        [&](const pkcs11::Secret& pin) { return cards.sign(request, pin, login.holder); });
}

}  // namespace sithsd::daemon
