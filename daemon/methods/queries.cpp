// hello, listCards, listCertificates, status, cancel: answered at once, no card work.
#include <boost/json.hpp>

#include "daemon/card_json.hpp"
#include "daemon/methods/certificate_choice.hpp"
#include "daemon/methods/handlers.hpp"

namespace sithsd::daemon {

boost::json::array method_list(OriginAuthority caller) {
    boost::json::array methods;
    for (auto m : protocol::method_names(caller)) methods.emplace_back(m);
    return methods;
}

std::string_view origin_status(const Services& services, const Peer& peer) {
    if (services.origin_allowed && services.origin_allowed(peer)) return "allowed";
    return to_string(peer.origin_status);
}

void hello(const Services& services, const Call& call) {
    const Peer& peer = call.request->peer();
    const bool web = peer.transport == Transport::websocket;
    call.request->answer_result(boost::json::object{
        {"protocol", "sithsd/1"},
        {"version", SITHSD_VERSION},
        {"origin", peer.origin ? boost::json::value(peer.origin->serialize()) : nullptr},
        {"originStatus", origin_status(services, peer)},
        {"transport", web ? "websocket" : "unix"},
        {"methods", method_list(peer.authority)}});
}

void list_cards(const Services& services, const Call& call) {
    call.request->answer_result(cards_json(services.cards.cards()));
}

void list_certificates(const Services& services, const Call& call) {
    const auto& params = std::get<protocol::ListCertificatesParams>(call.params);
    const auto now = services.clock.now();
    boost::json::array out;
    for (const auto& card : services.cards.cards()) {
        if (params.card_id && *params.card_id != card.card_id) continue;
        for (const auto& cert : card.certificates) {
            if (params.purpose && cert.info.purpose != *params.purpose) continue;
            if (!meets(cert, params.require)) continue;
            out.push_back(certificate_json(cert, now));
        }
    }
    call.request->answer_result(out);
}

void status(const Services& services, const Call& call) {
    const auto now = services.clock.now();
    const auto cards = services.cards.cards();
    boost::json::array expiring;
    for (const auto& card : cards)
        for (const auto& cert : card.certificates)
            if (cert.info.days_left(now) <= 90)
                expiring.push_back({{"certificateId", cert.info.certificate_id},
                                    {"displayName", cert.info.display_name()},
                                    {"notAfter", rfc3339(cert.info.not_after)},
                                    {"daysLeft", cert.info.days_left(now)}});
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(now - services.started);
    call.request->answer_result(
        boost::json::object{{"version", SITHSD_VERSION},
                            {"uptimeSeconds", std::max<std::int64_t>(uptime.count(), 0)},
                            {"connections", services.pending.connection_count()},
                            {"socketActivated", services.socket_activated},
                            {"cards", cards_json(cards)},
                            {"expiringCertificates", std::move(expiring)}});
}

void cancel(const Services& services, const Call& call) {
    const auto& params = std::get<protocol::CancelParams>(call.params);
    auto target = services.pending.find(call.request->connection()->id(), params.id);
    bool cancelled = false;
    if (target) {
        // Answered first, then the prompt closed: the card job then finds it answered and audits
        // it as its client saw it.
        cancelled = target->answer_error(protocol::ProtocolError(protocol::ErrorCode::UserCancelled,
                                                                 "Cancelled by the client."));
        target->cancel_prompt();
        target->release();
    }
    call.request->answer_result(boost::json::object{{"cancelled", cancelled}});
}

}  // namespace sithsd::daemon
