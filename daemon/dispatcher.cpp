#include "daemon/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "daemon/card_json.hpp"
#include "daemon/expiry_notes.hpp"
#include "daemon/methods/handlers.hpp"
#include "protocol/method_table.hpp"

namespace sithsd::daemon {

using protocol::ErrorCode;
using protocol::ProtocolError;

Dispatcher::Dispatcher(const Config& config, OriginPolicy policy, Cards& cards, Prompts& prompts,
                       Audit& audit, ConsentStore& consent, const Clock& clock)
    : config_(config),
      policy_(std::move(policy)),
      cards_(cards),
      jobs_(cards, audit),
      services_{config, policy_, cards, prompts, audit, clock, jobs_, pending_, clock.now()},
      gate_(config.language, config.prompt_unknown_origins, prompts, audit, consent),
      rate_limiter_(config.rate_limit_per_minute, std::chrono::minutes(1)),
      daily_(std::chrono::hours(24), [this] { daily_round(); }) {
    services_.origin_allowed = [this](const Peer& peer) { return gate_.allowed(peer); };
}

void Dispatcher::on_open(std::shared_ptr<Connection> connection) {
    pending_.open(connection);
    greet(connection);
}

// Notifications follow the peer's authority as methods do (PROTOCOL.md "Notifications"): the
// connect-time certificateExpiring goes out once, when the peer is known (a WebSocket at once, a
// Unix peer after its first message, which may introduce it as a page) and its origin allowed;
// a page whose origin the person allows later gets it then.
void Dispatcher::greet(const std::shared_ptr<Connection>& connection) {
    if (!pending_.greet(connection->id(), [this](const Peer& peer) { return gate_.allowed(peer); }))
        return;
    for (auto& note : expiring_notifications(cards_.cards(), services_.clock.now(), false))
        connection->send(std::move(note));
}

void Dispatcher::greet_all() {
    for (const auto& [connection, peer] : pending_.known_connections()) greet(connection);
}

void Dispatcher::on_close(std::shared_ptr<Connection> connection) {
    // The client went away: its prompts close and its requests end as USER_CANCELLED (sent to
    // nobody, but answered once so that the card job knows not to sign).
    for (auto& request : pending_.close(connection->id())) {
        request->answer_error(ProtocolError(ErrorCode::UserCancelled, "The client went away."));
        request->cancel_prompt();
    }
}

void Dispatcher::on_shutdown() {
    for (auto& request : pending_.shut_down()) {
        request->answer_error(ProtocolError(ErrorCode::ShuttingDown));
        request->cancel_prompt();
    }
    gate_.stop();
}

std::vector<std::shared_ptr<Connection>> Dispatcher::allowed_clients() const {
    std::vector<std::shared_ptr<Connection>> out;
    for (auto& [connection, peer] : pending_.known_connections())
        if (gate_.allowed(peer)) out.push_back(std::move(connection));
    return out;
}

void Dispatcher::on_cards_changed(const std::vector<pkcs11::CardInfo>& before,
                                  const std::vector<pkcs11::CardInfo>& cards) {
    const std::string note =
        protocol::serialize_notification("cardsChanged", {{"cards", cards_json(cards)}});
    std::set<std::string> arrived;
    for (const auto& card : cards)
        for (const auto& cert : card.certificates) arrived.insert(cert.info.certificate_id);
    for (const auto& card : before)
        for (const auto& cert : card.certificates) arrived.erase(cert.info.certificate_id);
    const auto expiring =
        arrived.empty() ? std::vector<std::string>{}
                        : expiring_notifications(cards, services_.clock.now(), false, &arrived);
    // A card pulled out while its request waits (at the PIN prompt, or queued): the prompt closes
    // and the request ends as CARD_REMOVED at once, not when the person has typed a PIN for it.
    std::vector<std::string> gone;
    for (const auto& card : before)
        if (std::none_of(cards.begin(), cards.end(),
                         [&](const auto& c) { return c.card_id == card.card_id; }))
            gone.push_back(card.card_id);
    for (auto& request : pending_.waiting_for(gone)) {
        // Answered before its prompt closes, so that the card job audits what its client got.
        request->answer_error(
            ProtocolError(ErrorCode::CardRemoved, "The card was removed during the operation."));
        request->cancel_prompt();
    }
    for (const auto& connection : allowed_clients()) {
        connection->send(note);
        for (const auto& n : expiring) connection->send(n);
    }
}

void Dispatcher::daily_round() {
    const auto notes = expiring_notifications(cards_.cards(), services_.clock.now(), true);
    if (notes.empty()) return;
    for (const auto& connection : allowed_clients())
        for (const auto& n : notes) connection->send(n);
}

void Dispatcher::on_message(std::shared_ptr<Connection> connection, std::string text) {
    auto parsed = protocol::parse_message(text);
    if (auto* invalid = std::get_if<protocol::InvalidMessage>(&parsed)) {
        // Empty: a well-formed notification with bad params, which gets nothing (not even an
        // empty frame or line).
        if (!invalid->response.empty()) connection->send(std::move(invalid->response));
    } else if (auto& request = std::get<protocol::Request>(parsed); !request.is_notification()) {
        dispatch(connection, std::move(request));  // JSON-RPC: a notification is never answered
    }
    // After its first message (an `introduce` has changed the peer by now) the peer is known.
    pending_.heard_from(connection->id());
    greet(connection);
}

// The order of the checks is PROTOCOL.md's: an id already pending, a method nobody may call, the
// shutdown, a method this caller may not call, the origin (asking the person once), the rate limit,
// then the params.
void Dispatcher::dispatch(const std::shared_ptr<Connection>& connection,
                          protocol::Request request) {
    const Peer peer = pending_.peer(*connection);
    auto reply_error = [&](const ProtocolError& e) {
        connection->send(protocol::serialize_error(*request.id, e));
    };
    // An id that already names a waiting request would make `cancel` and a client going away
    // reach the wrong one (JSON-RPC: ids are the client's to keep unique).
    if (pending_.find(connection->id(), *request.id))
        return reply_error(ProtocolError(
            ErrorCode::InvalidRequest,
            "Request id " + boost::json::serialize(*request.id) + " is already pending."));
    const protocol::MethodRow* row = protocol::find_method(request.method);
    if (!row)
        return reply_error(
            ProtocolError(ErrorCode::MethodNotFound, "Unknown method: " + request.method));
    if (pending_.shutting_down()) return reply_error(ProtocolError(ErrorCode::ShuttingDown));
    if (!row->callers.contains(peer.authority))
        return reply_error(ProtocolError(ErrorCode::LocalOnly));
    if (row->needs_consent && !gate_.allowed(peer)) {
        if (!gate_.may_ask(peer))
            return reply_error(ProtocolError(ErrorCode::OriginDenied,
                                             "This origin is not allowed to use the card."));
        auto question = pending_.track(connection, *request.id, request.method);
        return gate_.ask(question, [this, connection, request = std::move(request)]() mutable {
            dispatch(connection, std::move(request));
            greet_all();  // every connection of the origin the person just allowed
        });
    }
    if (protocol::rate_limited(*row, peer.authority) && !rate_limiter_.allow(peer.origin_text()))
        return reply_error(ProtocolError(
            ErrorCode::RateLimited, "Too many requests from this origin; try again in a minute."));

    // Card methods wait: tracked, so that cancel, the client going away and shutdown reach them.
    auto call = Call{row->needs_card ? pending_.track(connection, *request.id, request.method)
                                     : pending_.untracked(connection, *request.id, request.method),
                     {}};
    auto params = row->parse(request.params, peer.authority);
    if (!params) {
        // A card method's every end is audited (PROTOCOL.md: success or failure).
        if (!row->needs_card) return (void)call.request->answer_error(params.error());
        AuditEntry entry;
        entry.method = request.method;
        entry.origin = peer.requester();
        return jobs_.fail(call.request, std::move(entry), params.error());
    }
    call.params = std::move(*params);
    const Handler handler = find_handler(row->name);
    if (!handler) {  // a row without its handler: a programming error, caught by the tests
        spdlog::error("no handler for {}", row->name);
        return (void)call.request->answer_error(ProtocolError(ErrorCode::InternalError));
    }
    handler(services_, call);
}

}  // namespace sithsd::daemon
