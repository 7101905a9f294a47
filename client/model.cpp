#include "client/model.hpp"

#include <boost/json/serialize.hpp>
#include <ctime>

#include "protocol/base64.hpp"
#include "protocol/wire_errors.hpp"

namespace sithsd::client {
namespace {

const boost::json::object& object_of(const boost::json::value& value, const char* what) {
    if (!value.is_object()) throw Malformed(std::string(what) + " is not an object");
    return value.as_object();
}

std::string text(const boost::json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    if (!value || !value->is_string()) throw Malformed("no string " + std::string(key));
    return std::string(value->as_string());
}

std::string text_or_empty(const boost::json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::optional<std::string> optional_text(const boost::json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    if (!value || !value->is_string()) return std::nullopt;
    return std::string(value->as_string());
}

std::vector<std::uint8_t> bytes(const boost::json::object& object, std::string_view key) {
    auto decoded = protocol::base64_decode(text(object, key));
    if (!decoded) throw Malformed(std::string(key) + " is not base64");
    return std::move(*decoded);
}

std::optional<std::int64_t> integer(const boost::json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    if (value && value->is_int64()) return value->as_int64();
    if (value && value->is_uint64()) return static_cast<std::int64_t>(value->as_uint64());
    return std::nullopt;
}

PinState pin_state(const boost::json::object& pins, std::string_view kind) {
    PinState state;
    const auto* pin = pins.if_contains(kind);
    if (!pin || !pin->is_object()) return state;
    state.status = pin_status_from_name(text_or_empty(pin->as_object(), "status"));
    const auto* pad = pin->as_object().if_contains("pinPad");
    state.pin_pad = pad && pad->is_bool() && pad->as_bool();
    return state;
}

sithsd_card parse_card(const boost::json::value& value) {
    const auto& card = object_of(value, "a card");
    sithsd_card out;
    out.id = text(card, "cardId");
    out.reader = text_or_empty(card, "reader");
    out.label = text_or_empty(card, "label");
    if (const auto* pins = card.if_contains("pins"); pins && pins->is_object()) {
        out.identification = pin_state(pins->as_object(), "identification");
        out.signing = pin_state(pins->as_object(), "signing");
    }
    return out;
}

sithsd_certificate parse_certificate(const boost::json::value& value) {
    const auto& certificate = object_of(value, "a certificate");
    sithsd_certificate out;
    out.id = text(certificate, "certificateId");
    out.card_id = text_or_empty(certificate, "cardId");
    const auto purpose = text_or_empty(certificate, "purpose");
    out.purpose = purpose == "identification" ? SITHSD_PURPOSE_IDENTIFICATION
                  : purpose == "signing"      ? SITHSD_PURPOSE_SIGNING
                                              : SITHSD_PURPOSE_ANY;
    out.der = bytes(certificate, "certificate");
    out.display_name = text_or_empty(certificate, "displayName");
    if (const auto* subject = certificate.if_contains("subject"); subject && subject->is_object()) {
        out.common_name = text_or_empty(subject->as_object(), "commonName");
        out.organization = optional_text(subject->as_object(), "organization");
    }
    out.issuer = text_or_empty(certificate, "issuer");
    out.key_algorithm = text_or_empty(certificate, "keyAlgorithm");
    out.hsa_id = optional_text(certificate, "hsaId");
    out.personal_identity_number = optional_text(certificate, "personalIdentityNumber");
    out.not_before = parse_time(text(certificate, "notBefore"));
    out.not_after = parse_time(text(certificate, "notAfter"));
    return out;
}

}  // namespace

sithsd_card_list parse_cards(const boost::json::value& cards) {
    if (!cards.is_array()) throw Malformed("the cards are not a list");
    sithsd_card_list out;
    for (const auto& card : cards.as_array()) out.cards.push_back(parse_card(card));
    return out;
}

sithsd_certificate_list parse_certificates(const boost::json::value& certificates) {
    if (!certificates.is_array()) throw Malformed("the certificates are not a list");
    sithsd_certificate_list out;
    for (const auto& c : certificates.as_array()) out.certificates.push_back(parse_certificate(c));
    return out;
}

sithsd_token parse_token(const boost::json::value& result) {
    const auto& token = object_of(result, "the token");
    sithsd_token out;
    out.algorithm = text(token, "algorithm");
    out.certificate_der = bytes(token, "unverifiedCertificate");
    out.json = boost::json::serialize(token);
    return out;
}

sithsd_signature parse_signature(const boost::json::value& result, sithsd_signature_format format) {
    const auto& signature = object_of(result, "the signature");
    sithsd_signature out;
    out.format = format;
    out.bytes = bytes(signature, format == SITHSD_FORMAT_CMS ? "cms" : "signature");
    out.certificate_der = bytes(signature, "certificate");
    if (format == SITHSD_FORMAT_RAW) out.algorithm = text(signature, "algorithm");
    return out;
}

sithsd_notification parse_notification(const LocalNotification& notification) {
    sithsd_notification out;
    out.method = notification.method;
    out.params_json = boost::json::serialize(notification.params);
    if (!notification.params.is_object()) return out;
    const auto& params = notification.params.as_object();
    if (notification.method == "cardsChanged") {
        out.kind = SITHSD_NOTIFICATION_CARDS_CHANGED;
        const auto* cards = params.if_contains("cards");
        out.cards = cards ? parse_cards(*cards) : sithsd_card_list{};
    } else if (notification.method == "certificateExpiring") {
        out.kind = SITHSD_NOTIFICATION_CERTIFICATE_EXPIRING;
        out.certificate_id = text(params, "certificateId");
        out.not_after = parse_time(text(params, "notAfter"));
        out.days_left = static_cast<int>(integer(params, "daysLeft").value_or(0));
    }
    return out;
}

std::int64_t parse_time(std::string_view text) {
    std::tm tm{};
    char zone = 0;
    const std::string copy(text);
    if (text.size() != 20 ||
        std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &zone) != 7 ||
        zone != 'Z')
        throw Malformed("not an RFC 3339 UTC time: " + copy);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(::timegm(&tm));
}

sithsd_pin_status pin_status_from_name(std::string_view name) noexcept {
    if (name == "ok") return SITHSD_PIN_OK;
    if (name == "countLow") return SITHSD_PIN_COUNT_LOW;
    if (name == "finalTry") return SITHSD_PIN_FINAL_TRY;
    if (name == "locked") return SITHSD_PIN_LOCKED;
    return SITHSD_PIN_UNKNOWN;
}

std::string_view purpose_name(sithsd_purpose purpose) noexcept {
    if (purpose == SITHSD_PURPOSE_IDENTIFICATION) return "identification";
    if (purpose == SITHSD_PURPOSE_SIGNING) return "signing";
    return "";
}

std::string_view require_name(sithsd_require require) noexcept {
    if (require == SITHSD_REQUIRE_HSA_ID) return "hsaId";
    if (require == SITHSD_REQUIRE_PERSONAL_IDENTITY_NUMBER) return "personalIdentityNumber";
    return "";
}

sithsd_error error_from_answer(const RpcError& error) {
    sithsd_error out;
    out.code = error.code;
    const auto known = protocol::error_code_from_int(error.code);
    out.status = known ? static_cast<sithsd_status>(*known) : SITHSD_E_DAEMON_OTHER;
    out.reason = error.reason;
    if (out.reason.empty() && known) out.reason = protocol::find_wire_error(*known)->reason;
    if (out.reason.empty()) out.reason = "UNKNOWN";
    out.message = error.message;
    if (error.data.is_object()) {
        const auto& data = error.data.as_object();
        out.pin_status = pin_status_from_name(text_or_empty(data, "pinStatus"));
        out.tries_left = static_cast<int>(integer(data, "triesLeft").value_or(-1));
        out.field = optional_text(data, "field");
        out.ckr = optional_text(data, "ckr");
        if (const auto* candidates = data.if_contains("candidates")) {
            try {
                out.candidates = parse_certificates(*candidates);
            } catch (const Malformed&) {
                // The error itself is still worth reporting.
            }
        }
    }
    return out;
}

sithsd_error error_from_failure(const LocalClientError& failure) {
    switch (failure.failure()) {
        case LocalClientFailure::not_running:
            return error_of(SITHSD_E_NOT_RUNNING, failure.what());
        case LocalClientFailure::timed_out:
            return error_of(SITHSD_E_TIMED_OUT, failure.what());
        case LocalClientFailure::closed:
            return error_of(SITHSD_E_CLOSED, failure.what());
        case LocalClientFailure::malformed:
            return error_of(SITHSD_E_MALFORMED, failure.what());
        case LocalClientFailure::too_long:
            return error_of(SITHSD_E_TOO_LONG, failure.what());
        case LocalClientFailure::io:
            return error_of(SITHSD_E_IO, failure.what());
    }
    return error_of(SITHSD_E_INTERNAL, failure.what());
}

sithsd_error error_of(sithsd_status status, std::string_view message) {
    sithsd_error out;
    out.status = status;
    out.reason = sithsd_status_name(status);
    out.message = message;
    return out;
}

}  // namespace sithsd::client
