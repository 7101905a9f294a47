#include "daemon/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "daemon/card_json.hpp"
#include "daemon/prompt_texts.hpp"
#include "pkcs11/card_error.hpp"
#include "protocol/auth_token.hpp"
#include "protocol/base64.hpp"
#include "protocol/cms_builder.hpp"
#include "protocol/origin.hpp"
#include "protocol/requests.hpp"

namespace sithsd::daemon {

using protocol::ErrorCode;
using protocol::ProtocolError;

namespace {

const char* kAppVersion = "https://github.com/sithsd/sithsd/releases/v" SITHSD_VERSION;

std::string id_key(const protocol::Id& id) {
    return boost::json::serialize(id);
}

// The card layer's errors, shaped for the wire: one place (STYLE.md example 4).
ProtocolError to_protocol_error(const pkcs11::CardError& e) {
    using pkcs11::CardErrorReason;
    switch (e.reason()) {
        case CardErrorReason::pin_incorrect:
            return ProtocolError(
                ErrorCode::PinIncorrect, "The PIN was wrong.",
                {{"pinStatus",
                  pkcs11::to_string(e.pin_status.value_or(pkcs11::PinStatus::unknown))}});
        case CardErrorReason::pin_locked:
            return ProtocolError(ErrorCode::PinBlocked,
                                 "The PIN is blocked; no login was attempted.",
                                 {{"pinStatus", "locked"}});
        case CardErrorReason::card_removed:
            return ProtocolError(ErrorCode::CardRemoved,
                                 "The card was removed during the operation.");
        case CardErrorReason::cancelled:
            return ProtocolError(ErrorCode::UserCancelled,
                                 "The person cancelled on the card reader.");
        case CardErrorReason::no_card:
            return ProtocolError(ErrorCode::NoCard, "No card is present.");
        case CardErrorReason::certificate_not_found:
            return ProtocolError(ErrorCode::CertificateNotFound, e.what());
        case CardErrorReason::module_error:
        case CardErrorReason::token_error:
            break;
    }
    boost::json::object data;
    if (!e.ckr_name().empty()) data["ckr"] = e.ckr_name();
    return ProtocolError(ErrorCode::TokenError, "The card reported an error.", std::move(data));
}

ProtocolError prompt_error(PromptOutcome outcome) {
    switch (outcome) {
        case PromptOutcome::cancelled:
            return ProtocolError(ErrorCode::UserCancelled);
        case PromptOutcome::timeout:
            return ProtocolError(ErrorCode::Timeout);
        default:
            return ProtocolError(ErrorCode::PromptUnavailable,
                                 "No pinentry program could be started.");
    }
}

bool matches(const pkcs11::CardCertificate& c, std::optional<protocol::Requirement> require) {
    if (!require) return true;
    return *require == protocol::Requirement::HsaId ? c.info.hsa_id.has_value()
                                                    : c.info.personal_identity_number.has_value();
}

}  // namespace

bool PendingRequest::answer_result(const boost::json::value& result) {
    if (answered_.exchange(true)) return false;
    connection_->send(protocol::serialize_result(id_, result));
    return true;
}

bool PendingRequest::answer_error(const ProtocolError& error) {
    if (answered_.exchange(true)) return false;
    answered_with_ = error.code;
    connection_->send(protocol::serialize_error(id_, error));
    return true;
}

void PendingRequest::cancel_prompt() {
    cancel_.cancel();
}

Dispatcher::Dispatcher(const Config& config, OriginPolicy policy, CardService& cards,
                       Prompter& prompter, AuditLog& audit, ConsentStore& consent)
    : config_(config),
      policy_(std::move(policy)),
      cards_(cards),
      prompter_(prompter),
      audit_(audit),
      consent_(consent) {
    expiry_thread_ = std::thread([this] { expiry_loop(); });
}

Dispatcher::~Dispatcher() {
    {
        std::lock_guard lock(mutex_);
        expiry_stop_ = true;
    }
    expiry_wake_.notify_all();
    expiry_thread_.join();
}

bool Dispatcher::origin_allowed(const Peer& peer) const {
    if (peer.transport == Transport::unix_socket)
        return true;  // same uid, checked by the transport
    auto origin = protocol::parse_origin(peer.origin);
    if (!origin) return false;
    switch (policy_.status(*origin)) {
        case OriginStatus::allowed:
            return true;
        case OriginStatus::denied:
            return false;
        case OriginStatus::unknown:
            break;
    }
    return policy_.prompt_unknown_origins() && consent_.decision(peer.origin).value_or(false);
}

void Dispatcher::ask_consent(const std::shared_ptr<Connection>& connection,
                             protocol::Request request) {
    auto pending = track(connection, request);
    auto job = [this, connection, pending, request = std::move(request)]() mutable {
        const std::string origin = connection->peer().origin;
        // Another request may have asked while this one waited.
        std::optional<bool> decision = consent_.decision(origin);
        if (!decision && !pending->answered()) {
            auto outcome = prompter_.confirm(consent_prompt(config_.language, origin),
                                             pending->cancel_token());
            if (outcome == PromptOutcome::ok || outcome == PromptOutcome::cancelled) {
                // CONFIRM's cancel button is "Neka" (deny): remembered like an explicit no. A
                // cancel from the client (or the client going away) decides nothing.
                if (!pending->cancel_token().cancelled() && !pending->answered()) {
                    decision = outcome == PromptOutcome::ok;
                    AuditEntry entry;
                    entry.origin = origin;
                    entry.method = "consent";
                    entry.result = *decision ? "allow" : "deny";
                    try {
                        consent_.remember(origin, *decision);
                        audit_.append(entry);
                    } catch (const std::exception& e) {
                        spdlog::error("consent for {} not stored: {}", origin, e.what());
                        pending->answer_error(ProtocolError(ErrorCode::InternalError,
                                                            "The decision could not be stored."));
                    }
                    spdlog::info("consent: {} {}", origin, *decision ? "allowed" : "denied");
                }
            } else {
                pending->answer_error(prompt_error(outcome));
            }
        }
        untrack(pending);
        if (pending->answered()) return;  // cancelled or the client went away meanwhile
        if (!decision) return;
        if (!*decision) {
            pending->answer_error(
                ProtocolError(ErrorCode::OriginDenied, "The person denied this origin."));
            return;
        }
        dispatch(connection, std::move(request));
    };
    if (!consent_queue_.post(std::move(job))) {
        pending->answer_error(ProtocolError(ErrorCode::Busy));
        untrack(pending);
    }
}

void Dispatcher::finish(const std::shared_ptr<PendingRequest>& pending, AuditEntry entry,
                        const boost::json::value* result, const ProtocolError* error) {
    entry.result = error ? std::string(protocol::reason_name(error->code)) : "ok";
    try {
        audit_.append(entry);
    } catch (const std::exception& e) {
        // Without its audit line a signature is not handed out.
        spdlog::error("{}", e.what());
        pending->answer_error(
            ProtocolError(ErrorCode::InternalError, "The audit log could not be written."));
        return untrack(pending);
    }
    if (error)
        pending->answer_error(*error);
    else
        pending->answer_result(*result);
    untrack(pending);
}

std::string Dispatcher::requester(const Peer& peer, const std::string& origin) const {
    if (peer.transport == Transport::websocket) return peer.origin;
    std::string program = peer.program.empty() ? "pid " + std::to_string(peer.pid) : peer.program;
    return origin.empty() ? program : origin + " (" + program + ")";
}

void Dispatcher::on_open(std::shared_ptr<Connection> connection) {
    {
        std::lock_guard lock(mutex_);
        clients_[connection->id()].connection = connection;
    }
    if (origin_allowed(connection->peer())) send_expiring(connection, false);
}

void Dispatcher::on_close(std::shared_ptr<Connection> connection) {
    std::map<std::string, std::shared_ptr<PendingRequest>> pending;
    {
        std::lock_guard lock(mutex_);
        auto it = clients_.find(connection->id());
        if (it == clients_.end()) return;
        pending.swap(it->second.pending);
        clients_.erase(it);
    }
    // The client went away: its prompts close and its requests end as USER_CANCELLED (sent to
    // nobody, but answered once so that the card job knows not to sign).
    for (auto& [id, request] : pending) {
        request->cancel_prompt();
        request->answer_error(ProtocolError(ErrorCode::UserCancelled, "The client went away."));
    }
}

void Dispatcher::on_shutdown() {
    std::vector<std::shared_ptr<PendingRequest>> pending;
    {
        std::lock_guard lock(mutex_);
        shutting_down_ = true;
        for (auto& [cid, client] : clients_)
            for (auto& [id, request] : client.pending) pending.push_back(request);
    }
    for (auto& request : pending) {
        request->cancel_prompt();
        request->answer_error(ProtocolError(ErrorCode::ShuttingDown));
    }
}

void Dispatcher::on_cards_changed(const std::vector<pkcs11::CardInfo>& before,
                                  const std::vector<pkcs11::CardInfo>& cards) {
    std::string note =
        protocol::serialize_notification("cardsChanged", {{"cards", cards_json(cards)}});
    std::set<std::string> arrived;
    for (const auto& card : cards)
        for (const auto& cert : card.certificates) arrived.insert(cert.info.certificate_id);
    for (const auto& card : before)
        for (const auto& cert : card.certificates) arrived.erase(cert.info.certificate_id);
    std::vector<std::shared_ptr<Connection>> targets;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, client] : clients_)
            if (origin_allowed(client.connection->peer())) targets.push_back(client.connection);
    }
    for (auto& connection : targets) {
        connection->send(note);
        if (!arrived.empty()) send_expiring(connection, false, &arrived);
    }
}

std::shared_ptr<PendingRequest> Dispatcher::track(const std::shared_ptr<Connection>& connection,
                                                  const protocol::Request& request) {
    auto pending = std::make_shared<PendingRequest>(connection, *request.id, request.method);
    std::lock_guard lock(mutex_);
    auto it = clients_.find(connection->id());
    if (it != clients_.end()) it->second.pending[id_key(*request.id)] = pending;
    return pending;
}

void Dispatcher::untrack(const std::shared_ptr<PendingRequest>& pending) {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(pending->connection()->id());
    if (it == clients_.end()) return;
    auto p = it->second.pending.find(id_key(pending->id()));
    if (p != it->second.pending.end() && p->second == pending) it->second.pending.erase(p);
}

void Dispatcher::on_message(std::shared_ptr<Connection> connection, std::string text) {
    auto parsed = protocol::parse_message(text);
    if (auto* invalid = std::get_if<protocol::InvalidMessage>(&parsed)) {
        connection->send(std::move(invalid->response));
        return;
    }
    auto& request = std::get<protocol::Request>(parsed);
    if (request.is_notification()) return;  // JSON-RPC: a notification is never answered
    dispatch(connection, std::move(request));
}

void Dispatcher::dispatch(const std::shared_ptr<Connection>& connection,
                          protocol::Request request) {
    const Peer& peer = connection->peer();
    const protocol::Id& id = *request.id;
    auto reply_error = [&](const ProtocolError& e) {
        connection->send(protocol::serialize_error(id, e));
    };
    auto reply = [&](const boost::json::value& v) {
        connection->send(protocol::serialize_result(id, v));
    };

    if (!protocol::is_known_method(request.method))
        return reply_error(
            ProtocolError(ErrorCode::MethodNotFound, "Unknown method: " + request.method));
    {
        std::lock_guard lock(mutex_);
        if (shutting_down_) return reply_error(ProtocolError(ErrorCode::ShuttingDown));
    }
    if (request.method == "hello") return reply(hello(peer));
    if (protocol::is_local_only_method(request.method) && peer.transport != Transport::unix_socket)
        return reply_error(ProtocolError(ErrorCode::LocalOnly));
    // Everything but hello touches a card: the origin must be allowed, by the config or by the
    // person (asked once, the answer remembered).
    if (!origin_allowed(peer)) {
        auto origin = protocol::parse_origin(peer.origin);
        bool ask = origin && policy_.status(*origin) == OriginStatus::unknown &&
                   policy_.prompt_unknown_origins() && !consent_.decision(peer.origin).has_value();
        if (ask) return ask_consent(connection, std::move(request));
        return reply_error(
            ProtocolError(ErrorCode::OriginDenied, "This origin is not allowed to use the card."));
    }

    if (request.method == "listCards") return reply(cards_json(cards_.cards()));
    if (request.method == "listCertificates") {
        auto params = protocol::parse_list_certificates(request.params);
        if (!params) return reply_error(params.error());
        return reply(list_certificates(*params));
    }
    if (request.method == "status") return reply(status());
    if (request.method == "cancel") return cancel(connection, request);

    const bool prompts = request.method == "authenticate" || request.method == "sign";
    if (prompts && peer.transport == Transport::websocket && !rate_limiter_.allow(peer.origin))
        return reply_error(ProtocolError(
            ErrorCode::RateLimited, "Too many requests from this origin; try again in a minute."));
    auto pending = track(connection, request);
    if (request.method == "authenticate") return authenticate(pending, peer, request.params);
    if (request.method == "sign") return sign(pending, peer, request.params);
    return pin_management(pending, peer, request);
}

boost::json::value Dispatcher::hello(const Peer& peer) const {
    boost::json::array methods;
    for (auto m : protocol::method_names(peer.transport)) methods.emplace_back(m);
    std::string origin_status = "allowed";
    if (peer.transport == Transport::websocket) {
        auto origin = protocol::parse_origin(peer.origin);
        origin_status = origin ? std::string(to_string(policy_.status(*origin))) : "denied";
    }
    return boost::json::object{
        {"protocol", "sithsd/1"},
        {"version", SITHSD_VERSION},
        {"origin",
         peer.transport == Transport::websocket ? boost::json::value(peer.origin) : nullptr},
        {"originStatus", origin_status},
        {"transport", peer.transport == Transport::websocket ? "websocket" : "unix"},
        {"methods", std::move(methods)}};
}

boost::json::value Dispatcher::list_certificates(
    const protocol::ListCertificatesParams& params) const {
    auto now = std::chrono::system_clock::now();
    boost::json::array out;
    for (const auto& card : cards_.cards()) {
        if (params.card_id && *params.card_id != card.card_id) continue;
        for (const auto& cert : card.certificates) {
            if (params.purpose) {
                auto want = *params.purpose;
                if (cert.info.purpose != want) continue;
            }
            if (!matches(cert, params.require)) continue;
            out.push_back(certificate_json(cert, now));
        }
    }
    return out;
}

boost::json::value Dispatcher::status() const {
    auto now = std::chrono::system_clock::now();
    boost::json::array expiring;
    auto cards = cards_.cards();
    for (const auto& card : cards)
        for (const auto& cert : card.certificates)
            if (cert.info.days_left(now) <= 90)
                expiring.push_back({{"certificateId", cert.info.certificate_id},
                                    {"displayName", cert.info.display_name()},
                                    {"notAfter", rfc3339(cert.info.not_after)},
                                    {"daysLeft", cert.info.days_left(now)}});
    std::size_t connections;
    {
        std::lock_guard lock(mutex_);
        connections = clients_.size();
    }
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - started_);
    return boost::json::object{{"version", SITHSD_VERSION},
                               {"uptimeSeconds", uptime.count()},
                               {"connections", connections},
                               {"cards", cards_json(cards)},
                               {"expiringCertificates", std::move(expiring)}};
}

void Dispatcher::cancel(const std::shared_ptr<Connection>& connection,
                        const protocol::Request& request) {
    auto params = protocol::parse_cancel(request.params);
    if (!params) return connection->send(protocol::serialize_error(*request.id, params.error()));
    std::shared_ptr<PendingRequest> target;
    {
        std::lock_guard lock(mutex_);
        auto client = clients_.find(connection->id());
        if (client != clients_.end()) {
            auto it = client->second.pending.find(id_key(params->id));
            if (it != client->second.pending.end()) target = it->second;
        }
    }
    bool cancelled = false;
    if (target) {
        target->cancel_prompt();
        cancelled = target->answer_error(
            ProtocolError(ErrorCode::UserCancelled, "Cancelled by the client."));
        untrack(target);
    }
    connection->send(
        protocol::serialize_result(*request.id, boost::json::object{{"cancelled", cancelled}}));
}

void Dispatcher::send_expiring(const std::shared_ptr<Connection>& connection, bool only_thresholds,
                               const std::set<std::string>* only) {
    auto now = std::chrono::system_clock::now();
    for (const auto& card : cards_.cards()) {
        for (const auto& cert : card.certificates) {
            if (only && !only->count(cert.info.certificate_id)) continue;
            long days = cert.info.days_left(now);
            if (days > 90 || days < 0) continue;
            // Daily: on the days the thresholds are crossed (90, 30, 7) and every day in the last
            // week.
            if (only_thresholds && days != 90 && days != 30 && days > 7) continue;
            connection->send(protocol::serialize_notification(
                "certificateExpiring", {{"certificateId", cert.info.certificate_id},
                                        {"notAfter", rfc3339(cert.info.not_after)},
                                        {"daysLeft", days}}));
        }
    }
}

void Dispatcher::schedule_logout(const std::string& card_id) {
    {
        std::lock_guard lock(mutex_);
        logout_at_[card_id] = std::chrono::steady_clock::now() + config_.identification_pin_cache;
    }
    expiry_wake_.notify_all();
}

// Daily certificateExpiring notifications, and the end of kept identification logins.
void Dispatcher::expiry_loop() {
    auto next_daily = std::chrono::steady_clock::now() + std::chrono::hours(24);
    std::unique_lock lock(mutex_);
    while (!expiry_stop_) {
        auto wake = next_daily;
        for (const auto& [card, at] : logout_at_) wake = std::min(wake, at);
        expiry_wake_.wait_until(lock, wake);
        if (expiry_stop_) return;
        auto now = std::chrono::steady_clock::now();
        std::vector<std::string> logouts;
        for (auto it = logout_at_.begin(); it != logout_at_.end();) {
            if (it->second <= now) {
                logouts.push_back(it->first);
                it = logout_at_.erase(it);
            } else {
                ++it;
            }
        }
        std::vector<std::shared_ptr<Connection>> targets;
        if (now >= next_daily) {
            next_daily = now + std::chrono::hours(24);
            for (auto& [id, client] : clients_)
                if (origin_allowed(client.connection->peer())) targets.push_back(client.connection);
        }
        lock.unlock();
        // On the card's queue, so that a logout never cuts into a running operation.
        for (const auto& card : logouts)
            cards_.submit(card, [this, card] { cards_.card_set().forget_login(card); });
        for (auto& connection : targets) send_expiring(connection, true);
        lock.lock();
    }
}

namespace {

// The certificate a request may use: the one asked for, or the only one that matches.
struct Choice {
    std::optional<pkcs11::CardCertificate> certificate;
    std::optional<ProtocolError> error;
};

Choice choose(const std::vector<pkcs11::CardInfo>& cards, Purpose purpose,
              const std::optional<std::string>& certificate_id,
              std::optional<protocol::Requirement> require) {
    std::vector<pkcs11::CardCertificate> candidates;
    bool other_purpose = false;
    for (const auto& card : cards)
        for (const auto& cert : card.certificates) {
            if (certificate_id && *certificate_id != cert.info.certificate_id) continue;
            if (cert.info.purpose != purpose) {
                other_purpose = other_purpose || certificate_id.has_value();
                continue;
            }
            if (matches(cert, require)) candidates.push_back(cert);
        }
    const bool signing = purpose == Purpose::signing;
    if (candidates.empty()) {
        if (other_purpose)
            return {std::nullopt,
                    ProtocolError(ErrorCode::CertificateNotFound,
                                  signing ? "That is an identification certificate; signing needs "
                                            "a signature certificate."
                                          : "That is a signature certificate; logging in needs an "
                                            "identification certificate.")};
        if (certificate_id)
            return {std::nullopt, ProtocolError(ErrorCode::CertificateNotFound,
                                                "No inserted card holds that certificate.")};
        bool any_card = !cards.empty();
        if (signing && any_card && !require)
            return {std::nullopt, ProtocolError(ErrorCode::CertificateNotFound,
                                                "The inserted card has no signature key (it holds "
                                                "only an identification certificate).")};
        return {std::nullopt,
                ProtocolError(ErrorCode::NoCard,
                              signing ? "No card with a matching signature certificate."
                                      : "No card with a matching identification certificate.")};
    }
    if (candidates.size() > 1) {
        boost::json::array list;
        auto now = std::chrono::system_clock::now();
        for (const auto& c : candidates) list.push_back(certificate_json(c, now));
        return {std::nullopt,
                ProtocolError(ErrorCode::CertificateSelectionRequired,
                              "Several certificates match; choose one with certificateId.",
                              {{"candidates", std::move(list)}})};
    }
    if (!candidates.front().info.valid_at(std::chrono::system_clock::now()))
        return {std::nullopt, ProtocolError(ErrorCode::CertificateExpired,
                                            "The certificate is outside its validity period.")};
    return {candidates.front(), std::nullopt};
}

// The name of a raw signature's algorithm: RS256/384/512 by the hash for RSA (PKCS#1 v1.5), and
// ES256/384/512 by the curve for ECDSA, as JWS names them.
std::string raw_algorithm_name(const pkcs11::CardCertificate& cert, HashAlgorithm hash) {
    if (cert.info.key_type == pkcs11::KeyAlgorithm::ec)
        return cert.info.key_algorithm == "EC-P384"   ? "ES384"
               : cert.info.key_algorithm == "EC-P521" ? "ES512"
                                                      : "ES256";
    return hash == HashAlgorithm::sha384   ? "RS384"
           : hash == HashAlgorithm::sha512 ? "RS512"
                                           : "RS256";
}

void describe(AuditEntry& entry, const pkcs11::CardCertificate& cert) {
    entry.card_id = cert.card_id;
    entry.certificate_serial = cert.info.serial_hex;
    entry.hsa_id = cert.info.hsa_id.value_or("");
}

pkcs11::SignatureRequest card_request(const pkcs11::CardCertificate& cert, HashAlgorithm hash,
                                      std::span<const std::uint8_t> digest) {
    pkcs11::SignatureRequest req;
    req.certificate_id = cert.info.certificate_id;
    req.hash = hash;
    req.digest.assign(digest.begin(), digest.end());
    req.scheme = cert.info.key_type == pkcs11::KeyAlgorithm::ec
                     ? pkcs11::SignatureScheme::ecdsa
                     : pkcs11::SignatureScheme::rsa_pkcs1;
    return req;
}

}  // namespace

// Runs a card job's body and turns every way it can end into exactly one audited answer.
template <class Body>
void Dispatcher::run_card_job(const std::shared_ptr<PendingRequest>& pending, AuditEntry entry,
                              Body body) {
    if (pending->answered()) {  // cancelled, the client went away, or shutdown, while it waited
        ProtocolError answered(pending->answered_with());
        return finish(pending, entry, nullptr, &answered);
    }
    try {
        boost::json::value result = body(entry);
        finish(pending, entry, &result, nullptr);
    } catch (const ProtocolError& e) {
        finish(pending, entry, nullptr, &e);
    } catch (const pkcs11::CardError& e) {
        if (e.reason() == pkcs11::CardErrorReason::card_removed) cards_.request_refresh();
        ProtocolError error = to_protocol_error(e);
        finish(pending, entry, nullptr, &error);
    } catch (const std::exception& e) {
        spdlog::error("{} failed: {}", pending->method(), e.what());
        ProtocolError error(ErrorCode::InternalError);
        finish(pending, entry, nullptr, &error);
    }
}

// Asks for a PIN (or shows the PIN-pad message) unless the client cancelled meanwhile.
void Dispatcher::ask_pin(const std::shared_ptr<PendingRequest>& pending,
                         const PinPromptFacts& facts, bool pin_pad, pkcs11::Secret& pin,
                         std::unique_ptr<PromptMessage>& pad_message) {
    if (pin_pad) {
        pad_message = prompter_.show_message(pin_pad_message(facts));
    } else {
        auto outcome = prompter_.get_pin(pin_prompt(facts), pin, pending->cancel_token());
        if (outcome != PromptOutcome::ok) throw prompt_error(outcome);
    }
    if (pending->answered()) throw ProtocolError(ErrorCode::UserCancelled);
}

void Dispatcher::authenticate(const std::shared_ptr<PendingRequest>& pending, const Peer& peer,
                              const boost::json::object& raw) {
    AuditEntry entry;
    entry.method = "authenticate";
    entry.origin = requester(peer, "");
    auto fail = [&](const ProtocolError& error) { finish(pending, entry, nullptr, &error); };
    // The origin in the token: the handshake's over WebSocket, the param over the Unix socket
    // (required there, refused over WebSocket: parse_authenticate checks both).
    auto params = protocol::parse_authenticate(raw, peer.transport);
    if (!params) return fail(params.error());
    std::string origin = peer.origin;
    if (peer.transport == Transport::unix_socket) {
        auto parsed = protocol::parse_origin(*params->origin);
        if (!parsed)
            return fail(protocol::invalid_params(
                "origin", "origin must be an origin such as https://service.example.se"));
        origin = parsed->serialize();
        entry.origin = requester(peer, origin);
    }
    auto choice =
        choose(cards_.cards(), Purpose::identification, params->certificate_id, params->require);
    if (choice.error) return fail(*choice.error);
    const auto cert = *choice.certificate;
    describe(entry, cert);
    entry.hash_algorithm = std::string(protocol::hash_algorithm_name(protocol::jws_hash(
        protocol::jws_algorithm_for(cert.info.der).value_or(protocol::JwsAlgorithm::RS256))));
    auto job = [this, pending, entry, cert, origin, nonce = params->challenge_nonce,
                who = entry.origin] {
        run_card_job(pending, entry, [&](AuditEntry&) -> boost::json::value {
            auto& cards = cards_.card_set();
            pkcs11::PinInfo pin_state = cards.pin_info(cert.card_id, PinKind::identification);
            if (pin_state.status == pkcs11::PinStatus::locked)
                throw pkcs11::CardError(pkcs11::CardErrorReason::pin_locked, "blocked");
            const bool cache = config_.identification_pin_cache.count() > 0;
            PinPromptFacts facts{config_.language,         PinKind::identification, who,
                                 cert.info.display_name(), pin_state.status,        std::nullopt};
            pkcs11::Secret pin;
            std::unique_ptr<PromptMessage> pad_message;
            auto signer = [&](HashAlgorithm hash, std::span<const std::uint8_t> digest) {
                auto req = card_request(cert, hash, digest);
                if (cache)
                    if (auto kept = cards.sign_with_cached_login(req)) return *kept;
                ask_pin(pending, facts, pin_state.pin_pad, pin, pad_message);
                auto signature = cards.sign(req, pin, cache);
                if (cache) schedule_logout(cert.card_id);
                return signature;
            };
            return protocol::make_auth_token(cert.info.der, origin, nonce, signer, kAppVersion);
        });
    };
    if (!cards_.submit(cert.card_id, job)) fail(ProtocolError(ErrorCode::Busy));
}

void Dispatcher::sign(const std::shared_ptr<PendingRequest>& pending, const Peer& peer,
                      const boost::json::object& raw) {
    AuditEntry entry;
    entry.method = "sign";
    entry.origin = requester(peer, "");
    auto fail = [&](const ProtocolError& error) { finish(pending, entry, nullptr, &error); };
    auto params = protocol::parse_sign(raw);
    if (!params) return fail(params.error());
    entry.hash_algorithm = std::string(protocol::hash_algorithm_name(params->hash_algorithm));
    entry.display_text_sha256 = sha256_hex(params->display_text);
    auto choice = choose(cards_.cards(), Purpose::signing, params->certificate_id, std::nullopt);
    if (choice.error) return fail(*choice.error);
    const auto cert = *choice.certificate;
    describe(entry, cert);
    std::vector<std::vector<std::uint8_t>> authorities;
    for (const auto& card : cards_.cards())
        if (card.card_id == cert.card_id) authorities = card.authority_certificates;
    auto p = std::make_shared<protocol::SignParams>(std::move(*params));
    auto job = [this, pending, entry, cert, p, authorities, who = entry.origin] {
        run_card_job(pending, entry, [&](AuditEntry& audit) -> boost::json::value {
            auto& cards = cards_.card_set();
            pkcs11::PinInfo pin_state = cards.pin_info(cert.card_id, PinKind::signing);
            if (pin_state.status == pkcs11::PinStatus::locked)
                throw pkcs11::CardError(pkcs11::CardErrorReason::pin_locked, "blocked");
            std::vector<std::uint8_t> digest =
                p->hash ? *p->hash : protocol::hash(p->hash_algorithm, *p->data);
            audit.signed_hash_sha256 =
                sha256_hex({reinterpret_cast<const char*>(digest.data()), digest.size()});
            // The signing PIN: asked for every signature, shown with the whole text, never kept.
            PinPromptFacts facts{config_.language,         PinKind::signing, who,
                                 cert.info.display_name(), pin_state.status, p->display_text};
            pkcs11::Secret pin;
            std::unique_ptr<PromptMessage> pad_message;
            ask_pin(pending, facts, pin_state.pin_pad, pin, pad_message);
            auto signer = [&](HashAlgorithm hash, std::span<const std::uint8_t> d) {
                return cards.sign(card_request(cert, hash, d), pin);
            };
            boost::json::object result;
            if (p->format == protocol::SignFormat::Cms) {
                protocol::CmsSignInput input;
                input.certificate_der = cert.info.der;
                input.display_text = p->display_text;
                input.hash_algorithm = p->hash_algorithm;
                input.content_digest = digest;
                input.extra_certificates =
                    authorities;  // the chain, for `openssl cms -verify -CAfile ROOT`
                result["cms"] = protocol::base64_encode(protocol::build_cms(input, signer));
            } else {
                result["signature"] = protocol::base64_encode(signer(p->hash_algorithm, digest));
                result["algorithm"] = raw_algorithm_name(cert, p->hash_algorithm);
            }
            result["certificate"] = protocol::base64_encode(cert.info.der);
            return result;
        });
    };
    if (!cards_.submit(cert.card_id, job)) fail(ProtocolError(ErrorCode::Busy));
}

void Dispatcher::pin_management(const std::shared_ptr<PendingRequest>& pending, const Peer& peer,
                                const protocol::Request& request) {
    const bool unblock = request.method == "unblockPin";
    auto params = unblock ? protocol::parse_unblock_pin(request.params)
                          : protocol::parse_change_pin(request.params);
    if (!params) {
        pending->answer_error(params.error());
        return untrack(pending);
    }
    const PinKind kind = params->pin;
    std::string card_id = params->card_id;
    auto cards = cards_.cards();
    if (std::none_of(cards.begin(), cards.end(),
                     [&](const auto& c) { return c.card_id == card_id; })) {
        pending->answer_error(
            ProtocolError(ErrorCode::NoCard, "No inserted card has that cardId."));
        return untrack(pending);
    }
    std::string who = requester(peer, "");
    auto job = [this, pending, kind, card_id, unblock, who] {
        if (pending->answered()) return untrack(pending);
        try {
            auto& cards = cards_.card_set();
            auto state = cards.pin_info(card_id, kind);
            const bool sv = config_.language != "en";
            const std::string which = kind == PinKind::signing
                                          ? (sv ? "PIN för underskrift" : "signing PIN")
                                          : (sv ? "PIN för legitimering" : "identification PIN");
            PromptText first, second;
            first.title = second.title = sv ? "SITHS-kort: byt PIN" : "SITHS card: change PIN";
            first.description = (sv ? "Begärt av: " : "Requested by: ") + who + "\n" +
                                (unblock ? (sv ? "Ange PUK-koden för att låsa upp "
                                               : "Enter the PUK to unblock the ") +
                                               which
                                         : (sv ? "Ange nuvarande " : "Enter the current ") + which);
            first.prompt = unblock ? "PUK:" : (sv ? "Nuvarande PIN:" : "Current PIN:");
            second.description = (sv ? "Välj ny " : "Choose the new ") + which;
            second.prompt = sv ? "Ny PIN:" : "New PIN:";
            pkcs11::Secret old_secret, new_secret;
            auto outcome = prompter_.get_pin(first, old_secret, pending->cancel_token());
            if (outcome == PromptOutcome::ok)
                outcome = prompter_.get_pin(second, new_secret, pending->cancel_token());
            if (outcome != PromptOutcome::ok) throw prompt_error(outcome);
            if (!unblock && state.status == pkcs11::PinStatus::locked)
                throw pkcs11::CardError(pkcs11::CardErrorReason::pin_locked, "blocked");
            if (unblock)
                cards.unblock_pin(card_id, kind, old_secret, new_secret);
            else
                cards.change_pin(card_id, kind, old_secret, new_secret);
            cards_.request_refresh();
            pending->answer_result(boost::json::object{{"changed", true}});
        } catch (const ProtocolError& e) {
            pending->answer_error(e);
        } catch (const pkcs11::CardError& e) {
            pending->answer_error(to_protocol_error(e));
        } catch (const std::exception& e) {
            spdlog::error("{} failed: {}", unblock ? "unblockPin" : "changePin", e.what());
            pending->answer_error(ProtocolError(ErrorCode::InternalError));
        }
        untrack(pending);
    };
    if (!cards_.submit(card_id, job)) {
        pending->answer_error(ProtocolError(ErrorCode::Busy));
        untrack(pending);
    }
}

}  // namespace sithsd::daemon
