#include "daemon/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/card_json.hpp"
#include "daemon/prompt_texts.hpp"
#include "pkcs11/card_error.hpp"
#include "protocol/auth_token.hpp"
#include "protocol/cms_builder.hpp"
#include "protocol/base64.hpp"
#include "protocol/origin.hpp"
#include "protocol/requests.hpp"

namespace sithsd::daemon {

using protocol::ErrorCode;
using protocol::ProtocolError;

namespace {

const char* kAppVersion = "https://github.com/sithsd/sithsd/releases/v" SITHSD_VERSION;

std::string id_key(const protocol::Id& id) { return boost::json::serialize(id); }

// The card layer's errors, shaped for the wire: one place (STYLE.md example 4).
ProtocolError to_protocol_error(const pkcs11::CardError& e) {
    using pkcs11::CardErrorReason;
    switch (e.reason()) {
        case CardErrorReason::pin_incorrect:
            return ProtocolError(ErrorCode::PinIncorrect, "The PIN was wrong.",
                                 {{"pinStatus", pkcs11::to_string(e.pin_status.value_or(pkcs11::PinStatus::unknown))}});
        case CardErrorReason::pin_locked:
            return ProtocolError(ErrorCode::PinBlocked, "The PIN is blocked; no login was attempted.",
                                 {{"pinStatus", "locked"}});
        case CardErrorReason::card_removed:
            return ProtocolError(ErrorCode::CardRemoved, "The card was removed during the operation.");
        case CardErrorReason::cancelled:
            return ProtocolError(ErrorCode::UserCancelled, "The person cancelled on the card reader.");
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
        case PromptOutcome::cancelled: return ProtocolError(ErrorCode::UserCancelled);
        case PromptOutcome::timeout: return ProtocolError(ErrorCode::Timeout);
        default: return ProtocolError(ErrorCode::PromptUnavailable, "No pinentry program could be started.");
    }
}

pkcs11::HashAlgorithm card_hash(protocol::HashAlgorithm h) {
    switch (h) {
        case protocol::HashAlgorithm::Sha384: return pkcs11::HashAlgorithm::sha384;
        case protocol::HashAlgorithm::Sha512: return pkcs11::HashAlgorithm::sha512;
        default: return pkcs11::HashAlgorithm::sha256;
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
    connection_->send(protocol::serialize_error(id_, error));
    return true;
}

void PendingRequest::cancel_prompt() { cancel_.cancel(); }

Dispatcher::Dispatcher(const Config& config, OriginPolicy policy, CardService& cards, Prompter& prompter)
    : config_(config), policy_(std::move(policy)), cards_(cards), prompter_(prompter) {
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
    if (peer.transport == Transport::unix_socket) return true;  // same uid, checked by the transport
    auto origin = protocol::parse_origin(peer.origin);
    return origin && policy_.status(*origin) == OriginStatus::allowed;
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

void Dispatcher::on_cards_changed(const std::vector<pkcs11::CardInfo>& cards) {
    std::string note = protocol::serialize_notification("cardsChanged", {{"cards", cards_json(cards)}});
    std::vector<std::shared_ptr<Connection>> targets;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, client] : clients_)
            if (origin_allowed(client.connection->peer())) targets.push_back(client.connection);
    }
    for (auto& connection : targets) connection->send(note);
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

void Dispatcher::dispatch(const std::shared_ptr<Connection>& connection, protocol::Request request) {
    const Peer& peer = connection->peer();
    const protocol::Id& id = *request.id;
    auto reply_error = [&](const ProtocolError& e) { connection->send(protocol::serialize_error(id, e)); };
    auto reply = [&](const boost::json::value& v) { connection->send(protocol::serialize_result(id, v)); };

    if (!protocol::is_known_method(request.method))
        return reply_error(ProtocolError(ErrorCode::MethodNotFound, "Unknown method: " + request.method));
    {
        std::lock_guard lock(mutex_);
        if (shutting_down_) return reply_error(ProtocolError(ErrorCode::ShuttingDown));
    }
    if (request.method == "hello") return reply(hello(peer));
    if (protocol::is_local_only_method(request.method) && peer.transport != Transport::unix_socket)
        return reply_error(ProtocolError(ErrorCode::LocalOnly));
    // Everything but hello touches a card: the origin must be allowed. Unknown origins are asked
    // about in a later version; until then they are treated as prompt_unknown_origins = false.
    if (!origin_allowed(peer))
        return reply_error(ProtocolError(ErrorCode::OriginDenied, "This origin is not allowed to use the card."));

    if (request.method == "listCards") return reply(cards_json(cards_.cards()));
    if (request.method == "listCertificates") {
        auto params = protocol::parse_list_certificates(request.params);
        if (!params) return reply_error(params.error());
        return reply(list_certificates(request.params));
    }
    if (request.method == "status") return reply(status());
    if (request.method == "cancel") return cancel(connection, request);

    auto pending = track(connection, request);
    if (request.method == "authenticate") return authenticate(pending, peer, request.params);
    if (request.method == "sign") return sign(pending, peer, request.params);
    return pin_management(pending, peer, request);
}

boost::json::value Dispatcher::hello(const Peer& peer) const {
    boost::json::array methods;
    for (auto m : protocol::method_names()) methods.emplace_back(m);
    std::string origin_status = "allowed";
    if (peer.transport == Transport::websocket) {
        auto origin = protocol::parse_origin(peer.origin);
        origin_status = origin ? std::string(to_string(policy_.status(*origin))) : "denied";
    }
    return boost::json::object{{"protocol", "sithsd/1"},
                               {"version", SITHSD_VERSION},
                               {"origin", peer.transport == Transport::websocket ? peer.origin : ""},
                               {"originStatus", origin_status},
                               {"transport", peer.transport == Transport::websocket ? "websocket" : "unix"},
                               {"methods", std::move(methods)}};
}

boost::json::value Dispatcher::list_certificates(const boost::json::object& raw) const {
    auto params = protocol::parse_list_certificates(raw);
    auto now = std::chrono::system_clock::now();
    boost::json::array out;
    for (const auto& card : cards_.cards()) {
        if (params->card_id && *params->card_id != card.card_id) continue;
        for (const auto& cert : card.certificates) {
            if (params->purpose) {
                auto want = *params->purpose == protocol::Purpose::Signing ? pkcs11::Purpose::signing
                                                                           : pkcs11::Purpose::identification;
                if (cert.info.purpose != want) continue;
            }
            if (!matches(cert, params->require)) continue;
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
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
    return boost::json::object{{"version", SITHSD_VERSION},
                               {"uptimeSeconds", uptime.count()},
                               {"connections", connections},
                               {"cards", cards_json(cards)},
                               {"expiringCertificates", std::move(expiring)}};
}

void Dispatcher::cancel(const std::shared_ptr<Connection>& connection, const protocol::Request& request) {
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
        cancelled = target->answer_error(ProtocolError(ErrorCode::UserCancelled, "Cancelled by the client."));
        untrack(target);
    }
    connection->send(protocol::serialize_result(*request.id, boost::json::object{{"cancelled", cancelled}}));
}

void Dispatcher::send_expiring(const std::shared_ptr<Connection>& connection, bool only_thresholds) {
    auto now = std::chrono::system_clock::now();
    for (const auto& card : cards_.cards()) {
        for (const auto& cert : card.certificates) {
            long days = cert.info.days_left(now);
            if (days > 90 || days < 0) continue;
            // Daily: on the days the thresholds are crossed (90, 30, 7) and every day in the last week.
            if (only_thresholds && days != 90 && days != 30 && days > 7) continue;
            connection->send(protocol::serialize_notification(
                "certificateExpiring", {{"certificateId", cert.info.certificate_id},
                                        {"notAfter", rfc3339(cert.info.not_after)},
                                        {"daysLeft", days}}));
        }
    }
}

void Dispatcher::expiry_loop() {
    std::unique_lock lock(mutex_);
    while (!expiry_wake_.wait_for(lock, std::chrono::hours(24), [this] { return expiry_stop_; })) {
        std::vector<std::shared_ptr<Connection>> targets;
        for (auto& [id, client] : clients_)
            if (origin_allowed(client.connection->peer())) targets.push_back(client.connection);
        lock.unlock();
        for (auto& connection : targets) send_expiring(connection, true);
        lock.lock();
    }
}

void Dispatcher::authenticate(const std::shared_ptr<PendingRequest>& pending, const Peer& peer,
                              const boost::json::object& raw) {
    auto params = protocol::parse_authenticate(raw);
    if (!params) {
        pending->answer_error(params.error());
        return untrack(pending);
    }
    // The origin in the token: the handshake's over WebSocket, the param over the Unix socket.
    std::string origin = peer.origin;
    if (peer.transport == Transport::websocket && params->origin) {
        pending->answer_error(protocol::invalid_params("origin", "origin is taken from the handshake over WebSocket"));
        return untrack(pending);
    }
    if (peer.transport == Transport::unix_socket) {
        auto parsed = params->origin ? protocol::parse_origin(*params->origin) : std::nullopt;
        if (!parsed) {
            pending->answer_error(protocol::invalid_params("origin", "an https origin is required over the Unix socket"));
            return untrack(pending);
        }
        origin = protocol::serialize_origin(*parsed);
    }

    // The certificate: the one asked for, or the one identification certificate that matches.
    std::vector<pkcs11::CardCertificate> candidates;
    for (const auto& card : cards_.cards())
        for (const auto& cert : card.certificates)
            if (cert.info.purpose == pkcs11::Purpose::identification && matches(cert, params->require) &&
                (!params->certificate_id || *params->certificate_id == cert.info.certificate_id))
                candidates.push_back(cert);
    auto now = std::chrono::system_clock::now();
    if (candidates.empty()) {
        bool exists = params->certificate_id && cards_.card_set().certificate(*params->certificate_id);
        pending->answer_error(params->certificate_id
                                  ? ProtocolError(ErrorCode::CertificateNotFound,
                                                  exists ? "That certificate is not an identification certificate."
                                                         : "No inserted card holds that certificate.")
                                  : ProtocolError(ErrorCode::NoCard, "No card with a matching identification certificate."));
        return untrack(pending);
    }
    if (candidates.size() > 1) {
        boost::json::array list;
        for (const auto& c : candidates) list.push_back(certificate_json(c, now));
        pending->answer_error(ProtocolError(ErrorCode::CertificateSelectionRequired,
                                            "Several certificates match; choose one with certificateId.",
                                            {{"candidates", std::move(list)}}));
        return untrack(pending);
    }
    auto cert = candidates.front();
    if (!cert.info.valid_at(now)) {
        pending->answer_error(ProtocolError(ErrorCode::CertificateExpired));
        return untrack(pending);
    }
    auto nonce = params->challenge_nonce;
    std::string who = requester(peer, params->origin.value_or(""));
    auto job = [this, pending, cert, origin, nonce, who] {
        if (pending->answered()) return untrack(pending);  // cancelled while queued
        try {
            auto& cards = cards_.card_set();
            pkcs11::PinInfo pin_state = cards.pin_info(cert.card_id, pkcs11::PinKind::identification);
            if (pin_state.status == pkcs11::PinStatus::locked) throw pkcs11::CardError(pkcs11::CardErrorReason::pin_locked, "blocked");
            const bool cache = config_.identification_pin_cache.count() > 0;
            std::optional<pkcs11::Secret> pin;  // asked for only when no kept login serves
            std::unique_ptr<PromptMessage> pad_message;
            PinPromptFacts facts{config_.language, pkcs11::PinKind::identification, who, cert.info.display_name(),
                                 pin_state.status, std::nullopt};
            auto signer = [&](protocol::HashAlgorithm hash, std::span<const std::uint8_t> digest) {
                pkcs11::SignatureRequest req;
                req.certificate_id = cert.info.certificate_id;
                req.hash = card_hash(hash);
                req.digest.assign(digest.begin(), digest.end());
                req.scheme = cert.info.key_type == pkcs11::KeyAlgorithm::ec ? pkcs11::SignatureScheme::ecdsa
                                                                            : pkcs11::SignatureScheme::rsa_pkcs1;
                if (cache)
                    if (auto kept = cards.sign_with_cached_login(req)) return *kept;
                pin.emplace();
                if (pin_state.pin_pad) {
                    pad_message = prompter_.show_message(pin_pad_message(facts));
                } else {
                    auto outcome = prompter_.get_pin(pin_prompt(facts), *pin, pending->cancel_token());
                    if (outcome != PromptOutcome::ok) throw prompt_error(outcome);
                }
                if (pending->answered()) throw ProtocolError(ErrorCode::UserCancelled);
                return cards.sign(req, *pin, cache);
            };
            auto token = protocol::make_auth_token(cert.info.der, origin, nonce, signer, kAppVersion);
            pending->answer_result(token);
        } catch (const ProtocolError& e) {
            pending->answer_error(e);
        } catch (const pkcs11::CardError& e) {
            if (e.reason() == pkcs11::CardErrorReason::card_removed) cards_.request_refresh();
            pending->answer_error(to_protocol_error(e));
        } catch (const std::exception& e) {
            spdlog::error("authenticate failed: {}", e.what());
            pending->answer_error(ProtocolError(ErrorCode::InternalError));
        }
        untrack(pending);
    };
    if (!cards_.submit(cert.card_id, job)) {
        pending->answer_error(ProtocolError(ErrorCode::Busy));
        untrack(pending);
    }
}

void Dispatcher::sign(const std::shared_ptr<PendingRequest>& pending, const Peer& peer, const boost::json::object& raw) {
    auto params = protocol::parse_sign(raw);
    if (!params) {
        pending->answer_error(params.error());
        return untrack(pending);
    }
    std::vector<pkcs11::CardCertificate> candidates;
    bool identification_asked = false;
    for (const auto& card : cards_.cards())
        for (const auto& cert : card.certificates) {
            if (params->certificate_id && *params->certificate_id != cert.info.certificate_id) continue;
            if (cert.info.purpose == pkcs11::Purpose::signing)
                candidates.push_back(cert);
            else if (params->certificate_id)
                identification_asked = true;
        }
    auto now = std::chrono::system_clock::now();
    if (candidates.empty()) {
        std::string why = identification_asked ? "That is an identification certificate; signing needs a signature certificate."
                          : params->certificate_id ? "No inserted card holds that certificate."
                                                   : "No inserted card has a signature key (a card with only an identification certificate cannot sign).";
        pending->answer_error(ProtocolError(ErrorCode::CertificateNotFound, why));
        return untrack(pending);
    }
    if (candidates.size() > 1) {
        boost::json::array list;
        for (const auto& c : candidates) list.push_back(certificate_json(c, now));
        pending->answer_error(ProtocolError(ErrorCode::CertificateSelectionRequired,
                                            "Several signature certificates; choose one with certificateId.",
                                            {{"candidates", std::move(list)}}));
        return untrack(pending);
    }
    auto cert = candidates.front();
    if (!cert.info.valid_at(now)) {
        pending->answer_error(ProtocolError(ErrorCode::CertificateExpired));
        return untrack(pending);
    }
    auto p = std::make_shared<protocol::SignParams>(std::move(*params));
    std::string who = requester(peer, "");
    auto job = [this, pending, cert, p, who] {
        if (pending->answered()) return untrack(pending);
        try {
            auto& cards = cards_.card_set();
            pkcs11::PinInfo pin_state = cards.pin_info(cert.card_id, pkcs11::PinKind::signing);
            if (pin_state.status == pkcs11::PinStatus::locked) throw pkcs11::CardError(pkcs11::CardErrorReason::pin_locked, "blocked");
            PinPromptFacts facts{config_.language, pkcs11::PinKind::signing, who, cert.info.display_name(),
                                 pin_state.status, p->display_text};
            // The signing PIN is asked for every signature and never kept.
            pkcs11::Secret pin;
            std::unique_ptr<PromptMessage> pad_message;
            if (pin_state.pin_pad) {
                pad_message = prompter_.show_message(pin_pad_message(facts));
            } else {
                auto outcome = prompter_.get_pin(pin_prompt(facts), pin, pending->cancel_token());
                if (outcome != PromptOutcome::ok) throw prompt_error(outcome);
            }
            if (pending->answered()) throw ProtocolError(ErrorCode::UserCancelled);
            const bool ec = cert.info.key_type == pkcs11::KeyAlgorithm::ec;
            auto signer = [&](protocol::HashAlgorithm hash, std::span<const std::uint8_t> digest) {
                pkcs11::SignatureRequest req;
                req.certificate_id = cert.info.certificate_id;
                req.hash = card_hash(hash);
                req.digest.assign(digest.begin(), digest.end());
                req.scheme = ec ? pkcs11::SignatureScheme::ecdsa : pkcs11::SignatureScheme::rsa_pkcs1;
                return cards.sign(req, pin);
            };
            std::vector<std::uint8_t> digest =
                p->hash ? *p->hash : protocol::hash(p->hash_algorithm, *p->data);
            boost::json::object result;
            if (p->format == protocol::SignFormat::Cms) {
                protocol::CmsSignInput input{cert.info.der, p->display_text, p->hash_algorithm, digest, std::nullopt};
                result["cms"] = protocol::base64_encode(protocol::build_cms(input, signer));
            } else {
                auto signature = signer(p->hash_algorithm, digest);
                auto alg = protocol::jws_algorithm_for(cert.info.der);
                std::string name = alg ? std::string(protocol::jws_algorithm_name(*alg)) : "RS256";
                if (!ec) name = std::string("RS") + (p->hash_algorithm == protocol::HashAlgorithm::Sha384   ? "384"
                                                     : p->hash_algorithm == protocol::HashAlgorithm::Sha512 ? "512"
                                                                                                            : "256");
                result["signature"] = protocol::base64_encode(signature);
                result["algorithm"] = name;
            }
            result["certificate"] = protocol::base64_encode(cert.info.der);
            pending->answer_result(result);
        } catch (const ProtocolError& e) {
            pending->answer_error(e);
        } catch (const pkcs11::CardError& e) {
            if (e.reason() == pkcs11::CardErrorReason::card_removed) cards_.request_refresh();
            pending->answer_error(to_protocol_error(e));
        } catch (const std::exception& e) {
            spdlog::error("sign failed: {}", e.what());
            pending->answer_error(ProtocolError(ErrorCode::InternalError));
        }
        untrack(pending);
    };
    if (!cards_.submit(cert.card_id, job)) {
        pending->answer_error(ProtocolError(ErrorCode::Busy));
        untrack(pending);
    }
}

void Dispatcher::pin_management(const std::shared_ptr<PendingRequest>& pending, const Peer& peer,
                                const protocol::Request& request) {
    const bool unblock = request.method == "unblockPin";
    auto params = unblock ? protocol::parse_unblock_pin(request.params) : protocol::parse_change_pin(request.params);
    if (!params) {
        pending->answer_error(params.error());
        return untrack(pending);
    }
    auto kind = params->pin == protocol::PinKind::Signing ? pkcs11::PinKind::signing : pkcs11::PinKind::identification;
    std::string card_id = params->card_id;
    std::string who = requester(peer, "");
    auto job = [this, pending, kind, card_id, unblock, who] {
        if (pending->answered()) return untrack(pending);
        try {
            auto& cards = cards_.card_set();
            auto state = cards.pin_info(card_id, kind);
            const bool sv = config_.language != "en";
            const std::string which = kind == pkcs11::PinKind::signing ? (sv ? "PIN för underskrift" : "signing PIN")
                                                                       : (sv ? "PIN för legitimering" : "identification PIN");
            PromptText first, second;
            first.title = second.title = sv ? "SITHS-kort: byt PIN" : "SITHS card: change PIN";
            first.description = (sv ? "Begärt av: " : "Requested by: ") + who + "\n" +
                                (unblock ? (sv ? "Ange PUK-koden för att låsa upp " : "Enter the PUK to unblock the ") + which
                                         : (sv ? "Ange nuvarande " : "Enter the current ") + which);
            first.prompt = unblock ? "PUK:" : (sv ? "Nuvarande PIN:" : "Current PIN:");
            second.description = (sv ? "Välj ny " : "Choose the new ") + which;
            second.prompt = sv ? "Ny PIN:" : "New PIN:";
            pkcs11::Secret old_secret, new_secret;
            auto outcome = prompter_.get_pin(first, old_secret, pending->cancel_token());
            if (outcome == PromptOutcome::ok) outcome = prompter_.get_pin(second, new_secret, pending->cancel_token());
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
