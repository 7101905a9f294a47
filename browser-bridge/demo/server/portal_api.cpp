#include "browser-bridge/demo/server/portal_api.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>

#include "protocol/base64.hpp"
#include "protocol/certificate_identity.hpp"
#include "protocol/openssl_util.hpp"

namespace sithsd::portal {
namespace json = boost::json;

namespace {

ApiResponse ok(const json::object& body) {
    return {200, json::serialize(body), {}};
}

ApiResponse fail(int status, std::string_view reason, std::string_view message) {
    return {status, json::serialize(json::object{{"error", reason}, {"message", message}}), {}};
}

std::optional<json::object> parse_object(std::string_view body) {
    boost::system::error_code ec;
    auto value = json::parse(body, ec);
    if (ec || !value.is_object()) return std::nullopt;
    return std::move(value.as_object());
}

std::string string_field(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string who(const protocol::CertificateIdentity& id) {
    const auto& number = id.hsa_id ? *id.hsa_id : id.serial_number;
    return id.common_name + " (" + number + ")";
}

}  // namespace

std::string_view swedish_message(protocol::VerifyError error) noexcept {
    using protocol::VerifyError;
    switch (error) {
        case VerifyError::FormatInvalid:
            return "Svaret från kortet har fel format.";
        case VerifyError::AlgorithmNotAllowed:
            return "Underskriften använder en algoritm som inte godtas.";
        case VerifyError::CertificateInvalid:
            return "Certifikatet kan inte läsas.";
        case VerifyError::SignatureInvalid:
            return "Underskriften stämmer inte.";
        case VerifyError::CertificateNotTrusted:
            return "Certifikatet är inte utfärdat av en betrodd utfärdare.";
        case VerifyError::CertificateExpired:
            return "Certifikatet har gått ut.";
        case VerifyError::CertificateRevoked:
            return "Certifikatet är spärrat.";
        case VerifyError::WrongPurpose:
            return "Certifikatet är inte avsett för detta.";
        case VerifyError::OcspUnavailable:
            return "Spärrkontrollen (OCSP) gick inte att nå. Försök igen om en stund.";
        case VerifyError::OcspInvalid:
            return "Spärrkontrollen (OCSP) gav ett ogiltigt svar.";
    }
    return "Kontrollen misslyckades.";
}

PortalApi::PortalApi(const protocol::Verifier& verifier, protocol::NonceStore& nonces,
                     SessionStore& sessions, OrderBook& orders, std::string origin)
    : verifier_(verifier),
      nonces_(nonces),
      sessions_(sessions),
      orders_(orders),
      origin_(std::move(origin)),
      secure_cookie_(origin_.starts_with("https://")) {}

// One row per endpoint. A pattern is matched segment by segment; "{id}" takes one non-empty
// segment (an order's id), handed to the member function as ApiCall::id.
struct PortalApi::Route {
    std::string_view method;
    std::string_view pattern;
    ApiResponse (PortalApi::*handler)(const ApiCall&);
};

namespace {

// Whether `path` fits `pattern`; the segment matched by "{id}" goes to `id`.
bool matches(std::string_view pattern, std::string_view path, std::string_view& id) {
    constexpr std::string_view placeholder = "{id}";
    const auto at = pattern.find(placeholder);
    if (at == std::string_view::npos) return pattern == path;
    const auto before = pattern.substr(0, at);
    const auto after = pattern.substr(at + placeholder.size());
    if (path.size() <= before.size() + after.size()) return false;
    if (!path.starts_with(before) || !path.ends_with(after)) return false;
    const auto segment = path.substr(before.size(), path.size() - before.size() - after.size());
    if (segment.find('/') != std::string_view::npos) return false;
    id = segment;
    return true;
}

}  // namespace

ApiResponse PortalApi::handle(const ApiRequest& request) {
    static constexpr Route routes[] = {
        {"POST", "/api/nonce", &PortalApi::nonce},
        {"POST", "/api/login", &PortalApi::login},
        {"GET", "/api/session", &PortalApi::session},
        {"POST", "/api/logout", &PortalApi::logout},
        {"GET", "/api/orders", &PortalApi::orders},
        {"POST", "/api/orders/{id}/prepare", &PortalApi::prepare},
        {"POST", "/api/orders/{id}/attest", &PortalApi::attest},
    };
    for (const auto& route : routes) {
        std::string_view id;
        if (route.method != request.method || !matches(route.pattern, request.target, id)) continue;
        try {
            return (this->*route.handler)({request, id});
        } catch (const protocol::StoreUnavailable& e) {
            // Without the shared store no nonce can be checked: refuse, whatever the token says.
            spdlog::warn("{} {}: store unavailable: {}", request.method, request.target, e.what());
            return fail(503, "STORE_UNAVAILABLE",
                        "Inloggningen är inte tillgänglig just nu. Försök igen om en stund.");
        }
    }
    return fail(404, "NOT_FOUND", "Sidan finns inte.");
}

// A fresh challenge for this browser's session (a new session when it has none): the nonce is
// kept in the session, and the page only carries it to sithsd.
ApiResponse PortalApi::nonce(const ApiCall& call) {
    auto existing = sessions_.find(session_cookie(call.request.cookie));
    const bool created = !existing;
    Session s = created ? sessions_.create() : std::move(*existing);
    // An earlier challenge of this session that was never used is spent now.
    if (!s.nonce.empty()) nonces_.consume(s.nonce, s.id);
    s.nonce = nonces_.issue(s.id);
    sessions_.save(s);
    auto answer = ok({{"nonce", s.nonce}});
    if (created) answer.set_cookie = session_set_cookie(s.id, secure_cookie_);
    return answer;
}

ApiResponse PortalApi::login(const ApiCall& call) {
    const auto request = parse_object(call.request.body);
    const auto* token = request ? request->if_contains("token") : nullptr;
    if (!token || !token->is_object())
        return fail(400, "BAD_REQUEST", "Inloggningen saknar svar från kortet.");
    auto s = sessions_.find(session_cookie(call.request.cookie));
    if (!s) {
        return fail(401, "NO_SESSION",
                    "Sessionen har gått ut eller saknas. Ladda om sidan och försök igen.");
    }
    // The nonce is the session's, never the body's; it is spent first, so that a token can never
    // be replayed, valid or not.
    const std::string nonce = s->nonce;
    const auto refusal = nonces_.consume(nonce, s->id);
    if (refusal) {
        if (*refusal == protocol::NonceRefusal::OtherSession) {
            spdlog::warn("login refused: the session's nonce belongs to another session");
            return fail(401, "NONCE_MISMATCH",
                        "Inloggningen hör till en annan webbläsarsession. Försök igen.");
        }
        return fail(401, "NONCE_INVALID",
                    "Inloggningen tog för lång tid eller har redan använts. Försök igen.");
    }
    // A page may name the nonce it had signed: one of another session is said so plainly.
    const std::string named = string_field(*request, "nonce");
    if (!named.empty() && named != nonce) {
        spdlog::info("login refused: the token was made for another session's nonce");
        return fail(401, "NONCE_MISMATCH",
                    "Inloggningen hör till en annan webbläsarsession. Försök igen.");
    }
    const auto result = verifier_.verify_token(json::serialize(*token), origin_, nonce);
    if (!result) {
        spdlog::info("login refused: {} ({})", protocol::verify_error_name(result.error().reason),
                     result.error().detail);
        return fail(401, protocol::verify_error_name(result.error().reason),
                    swedish_message(result.error().reason));
    }
    if (!result->hsa_id) {
        return fail(403, "NO_HSA_ID",
                    "Certifikatet har inget HSA-id. Logga in med ditt SITHS-kort med HSA-id.");
    }
    auto out = protocol::to_json(*result);
    out["name"] = result->common_name;
    out["display"] = who(*result);
    out["loggedInAt"] = protocol::ossl::rfc3339(
        std::chrono::system_clock::now());  // UTC; the page shows local time
    // A new session id at login, so that an id known before the login is worth nothing after.
    sessions_.remove(s->id);
    Session logged_in = sessions_.create();
    logged_in.user = out;
    sessions_.save(logged_in);
    spdlog::info("login: {}", who(*result));  // only now: a store failure above is a 503
    auto answer = ok(out);
    answer.set_cookie = session_set_cookie(logged_in.id, secure_cookie_);
    return answer;
}

ApiResponse PortalApi::session(const ApiCall& call) {
    const auto s = sessions_.find(session_cookie(call.request.cookie));
    if (!s || !s->user) return fail(401, "NOT_LOGGED_IN", "Du är inte inloggad.");
    return ok({{"user", *s->user}});
}

// The session ends on the server (its id is worth nothing after), and the browser's cookie goes.
ApiResponse PortalApi::logout(const ApiCall& call) {
    const auto id = session_cookie(call.request.cookie);
    const auto s = sessions_.find(id);
    if (s) sessions_.remove(s->id);
    if (s && s->user) spdlog::info("logout: {}", std::string(s->user->at("display").as_string()));
    auto answer = ok({{"loggedOut", s && s->user}});
    answer.set_cookie = session_clear_cookie(secure_cookie_);
    return answer;
}

ApiResponse PortalApi::orders(const ApiCall&) {
    json::array list;
    for (const auto& order : orders_.list()) list.push_back(to_json(order));
    return ok({{"orders", std::move(list)}});
}

ApiResponse PortalApi::prepare(const ApiCall& call) {
    const auto request = orders_.prepare(std::string(call.id));
    if (!request) return fail(409, "NOT_PENDING", "Beställningen väntar inte på attest.");
    return ok(
        {{"displayText", request->display_text}, {"data", protocol::base64_encode(request->data)}});
}

ApiResponse PortalApi::attest(const ApiCall& call) {
    const std::string id(call.id);
    const auto request = parse_object(call.request.body);
    const auto cms =
        request ? protocol::base64_decode(string_field(*request, "cms")) : std::nullopt;
    if (!cms) return fail(400, "BAD_REQUEST", "Attesten saknar underskrift.");
    const auto signing = orders_.take_request(id);
    if (!signing) {
        return fail(409, "REQUEST_EXPIRED",
                    "Attesten tog för lång tid eller har redan skickats. Försök igen.");
    }
    const auto result = verifier_.verify_cms(*cms, signing->data);
    if (!result) {
        spdlog::info("attest {} refused: {} ({})", id,
                     protocol::verify_error_name(result.error().reason), result.error().detail);
        return fail(401, protocol::verify_error_name(result.error().reason),
                    swedish_message(result.error().reason));
    }
    // What the person was shown must be what the server asked for (contentHints in the CMS).
    if (result->display_text != signing->display_text) {
        spdlog::info("attest {} refused: the displayText differs", id);
        return fail(401, "DISPLAY_TEXT_MISMATCH",
                    "Texten som visades vid underskriften stämmer inte med beställningen.");
    }
    orders_.mark_attested(id, who(result->signer), result->signing_time);
    spdlog::info("attest {}: {}", id, who(result->signer));
    const auto order = orders_.find(id);
    return ok({{"order", to_json(*order)}});
}

}  // namespace sithsd::portal
