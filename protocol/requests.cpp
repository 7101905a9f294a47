#include "protocol/requests.hpp"

#include <array>

#include "protocol/base64.hpp"
#include "protocol/display_text.hpp"

namespace sithsd::protocol {
namespace {

// The local-only methods come last.
// Reads an optional string field: absent is fine, any other type is -32602.
ParamsResult<std::optional<std::string>> optional_string(const boost::json::object& params,
                                                         std::string_view field) {
    const auto* v = params.if_contains(field);
    if (!v) return std::optional<std::string>{};
    if (!v->is_string()) return invalid_params(field, std::string(field) + " must be a string.");
    return std::optional<std::string>{std::string(v->get_string())};
}

ParamsResult<std::string> required_string(const boost::json::object& params,
                                          std::string_view field) {
    const auto* v = params.if_contains(field);
    if (!v) return invalid_params(field, std::string(field) + " is required.");
    if (!v->is_string()) return invalid_params(field, std::string(field) + " must be a string.");
    return std::string(v->get_string());
}

ParamsResult<std::optional<Requirement>> parse_require(const boost::json::object& params) {
    auto s = optional_string(params, "require");
    if (!s) return s.error();
    if (!*s) return std::optional<Requirement>{};
    if (**s == "hsaId") return std::optional<Requirement>{Requirement::HsaId};
    if (**s == "personalIdentityNumber") {
        return std::optional<Requirement>{Requirement::PersonalIdentityNumber};
    }
    return invalid_params("require", "require must be \"hsaId\" or \"personalIdentityNumber\".");
}

ParamsResult<PinParams> parse_pin_params(const boost::json::object& params) {
    PinParams out;
    auto card = required_string(params, "cardId");
    if (!card) return card.error();
    out.card_id = std::move(*card);
    auto pin = required_string(params, "pin");
    if (!pin) return pin.error();
    if (*pin == "identification") {
        out.pin = PinKind::identification;
    } else if (*pin == "signing") {
        out.pin = PinKind::signing;
    } else {
        return invalid_params("pin", "pin must be \"identification\" or \"signing\".");
    }
    return out;
}

}  // namespace

std::string_view requirement_name(Requirement r) noexcept {
    return r == Requirement::HsaId ? "hsaId" : "personalIdentityNumber";
}
std::string_view sign_format_name(SignFormat f) noexcept {
    return f == SignFormat::Raw ? "raw" : "cms";
}

std::size_t utf8_length(std::string_view text) noexcept {
    std::size_t n = 0;
    for (const char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;  // not a continuation byte
    }
    return n;
}

ParamsResult<ListCertificatesParams> parse_list_certificates(const boost::json::object& params) {
    ListCertificatesParams out;
    auto purpose = optional_string(params, "purpose");
    if (!purpose) return purpose.error();
    if (*purpose) {
        if (**purpose == "identification") {
            out.purpose = Purpose::identification;
        } else if (**purpose == "signing") {
            out.purpose = Purpose::signing;
        } else {
            return invalid_params("purpose", "purpose must be \"identification\" or \"signing\".");
        }
    }
    auto card = optional_string(params, "cardId");
    if (!card) return card.error();
    out.card_id = std::move(*card);
    auto require = parse_require(params);
    if (!require) return require.error();
    out.require = *require;
    return out;
}

ParamsResult<AuthenticateParams> parse_authenticate(const boost::json::object& params) {
    AuthenticateParams out;
    auto nonce = required_string(params, "challengeNonce");
    if (!nonce) return nonce.error();
    // Base64 of at least 32 random bytes; plain ASCII, so bytes are characters here.
    if (nonce->size() < kMinNonceChars || nonce->size() > kMaxNonceChars ||
        utf8_length(*nonce) != nonce->size()) {
        return invalid_params("challengeNonce", "challengeNonce must be 44 to 128 characters.");
    }
    out.challenge_nonce = std::move(*nonce);
    auto cert = optional_string(params, "certificateId");
    if (!cert) return cert.error();
    out.certificate_id = std::move(*cert);
    auto require = parse_require(params);
    if (!require) return require.error();
    out.require = *require;
    auto origin = optional_string(params, "origin");
    if (!origin) return origin.error();
    out.origin = std::move(*origin);
    return out;
}

ParamsResult<AuthenticateParams> parse_authenticate(const boost::json::object& params,
                                                    OriginAuthority caller) {
    auto out = parse_authenticate(params);
    if (!out) return out;
    if (caller != OriginAuthority::local_user && out->origin) {
        return invalid_params("origin", "origin cannot be given over WebSocket.");
    }
    if (caller == OriginAuthority::local_user && (!out->origin || out->origin->empty())) {
        return invalid_params("origin", "origin is required over the local socket.");
    }
    return out;
}

ParamsResult<SignParams> parse_sign(const boost::json::object& params) {
    SignParams out;
    auto cert = optional_string(params, "certificateId");
    if (!cert) return cert.error();
    out.certificate_id = std::move(*cert);

    // Optional for a raw signature (a page written for Web eID says nothing about what is
    // signed; the prompt then says so), required for CMS, whose contentHints carry it.
    auto text = optional_string(params, "displayText");
    if (!text) return text.error();
    if (*text)
        if (auto problem = display_text_problem(**text))
            return invalid_params("displayText", *problem);
    out.display_text = std::move(*text);

    auto format = required_string(params, "format");
    if (!format) return format.error();
    if (*format == "raw") {
        out.format = SignFormat::Raw;
    } else if (*format == "cms") {
        out.format = SignFormat::Cms;
    } else {
        return invalid_params("format", "format must be \"raw\" or \"cms\".");
    }
    if (out.format == SignFormat::Cms && !out.display_text) {
        return invalid_params("displayText", "displayText is required with format cms.");
    }

    auto alg_name = optional_string(params, "hashAlgorithm");
    if (!alg_name) return alg_name.error();
    if (*alg_name) {
        auto alg = hash_algorithm_from_name(**alg_name);
        if (!alg) {
            return invalid_params("hashAlgorithm",
                                  "hashAlgorithm must be SHA-256, SHA-384 or SHA-512.");
        }
        out.hash_algorithm = *alg;
    }

    auto hash_text = optional_string(params, "hash");
    if (!hash_text) return hash_text.error();
    auto data_text = optional_string(params, "data");
    if (!data_text) return data_text.error();
    if (hash_text->has_value() == data_text->has_value()) {
        return invalid_params(hash_text->has_value() ? "data" : "hash",
                              "Exactly one of hash or data is required.");
    }
    if (*hash_text) {
        if (!*alg_name) return invalid_params("hashAlgorithm", "hash needs hashAlgorithm.");
        auto bytes = base64_decode(**hash_text);
        if (!bytes) return invalid_params("hash", "hash must be base64.");
        if (bytes->size() != hash_size(out.hash_algorithm)) {
            return invalid_params("hash", "The length of hash does not match hashAlgorithm.");
        }
        out.hash = std::move(*bytes);
    } else {
        // Refuse an oversized text before decoding it.
        if ((*data_text)->size() > (kMaxSignDataBytes + 2) / 3 * 4) {
            return invalid_params("data", "data must be at most 512 KiB.");
        }
        auto bytes = base64_decode(**data_text);
        if (!bytes) return invalid_params("data", "data must be base64.");
        if (bytes->size() > kMaxSignDataBytes) {
            return invalid_params("data", "data must be at most 512 KiB.");
        }
        out.data = std::move(*bytes);
    }
    return out;
}

ParamsResult<CancelParams> parse_cancel(const boost::json::object& params) {
    const auto* id = params.if_contains("id");
    if (!id) return invalid_params("id", "id is required.");
    if (!id->is_string() && !id->is_number()) {
        return invalid_params("id", "id must be a string or a number.");
    }
    return CancelParams{*id};
}

ParamsResult<PinParams> parse_change_pin(const boost::json::object& params) {
    return parse_pin_params(params);
}

ParamsResult<PinParams> parse_unblock_pin(const boost::json::object& params) {
    return parse_pin_params(params);
}

ParamsResult<IntroduceParams> parse_introduce(const boost::json::object& params) {
    IntroduceParams out;
    const auto* as = params.if_contains("as");
    if (!as || !as->is_string())
        return invalid_params("as", "as must be \"extension\" or \"browserModule\".");
    if (as->get_string() == "extension") {
        out.as = OriginAuthority::extension;
    } else if (as->get_string() == "browserModule") {
        out.as = OriginAuthority::browser_module;
    } else {
        return invalid_params("as", "as must be \"extension\" or \"browserModule\".");
    }
    auto origin = optional_string(params, "origin");
    if (!origin) return origin.error();
    if (out.as == OriginAuthority::browser_module) {
        if (*origin) return invalid_params("origin", "A browser module has no page origin.");
        return out;
    }
    if (!*origin) return invalid_params("origin", "origin is required for the extension.");
    std::string why;
    out.origin = parse_origin(**origin, &why);
    if (!out.origin) return invalid_params("origin", "origin is not an origin: " + why);
    return out;
}

}  // namespace sithsd::protocol
