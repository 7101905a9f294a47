// sithsd/client.h: authenticate, sign and the PIN changes (each a card job at the daemon, with
// its PIN asked in sithsd's own dialog), and what a token and a signature tell.
#include "client/c_api.hpp"
#include "protocol/base64.hpp"

using namespace sithsd::client;

namespace {

const char* hash_name(sithsd_hash hash) {
    switch (hash) {
        case SITHSD_HASH_SHA256:
            return "SHA-256";
        case SITHSD_HASH_SHA384:
            return "SHA-384";
        case SITHSD_HASH_SHA512:
            return "SHA-512";
    }
    return nullptr;
}

// sign's params but the payload (data or hash).
boost::json::object sign_params(const char* certificate_id, const char* display_text,
                                sithsd_signature_format format) {
    boost::json::object params;
    if (certificate_id) params["certificateId"] = certificate_id;
    if (display_text) params["displayText"] = display_text;
    params["format"] = format == SITHSD_FORMAT_RAW ? "raw" : "cms";
    return params;
}

sithsd_status sign_with(sithsd_client* client, boost::json::object params,
                        sithsd_signature_format format, sithsd_signature** signature,
                        sithsd_error** error) {
    boost::json::value result;
    if (auto status = request(client, error, "sign", std::move(params), result);
        status != SITHSD_OK)
        return status;
    return hand_out(signature, error, parse_signature(result, format));
}

bool valid_format(sithsd_signature_format format) {
    return format == SITHSD_FORMAT_CMS || format == SITHSD_FORMAT_RAW;
}

sithsd_status pin_call(sithsd_client* client, const char* method, const char* card_id,
                       sithsd_pin_kind pin, sithsd_error** error) {
    return guarded(error, [&] {
        if (!client || !card_id || (pin != SITHSD_PIN_IDENTIFICATION && pin != SITHSD_PIN_SIGNING))
            return invalid_argument(error, std::string(method) + ": NULL or an unknown PIN");
        boost::json::value result;
        return request(client, error, method,
                       {{"cardId", card_id},
                        {"pin", pin == SITHSD_PIN_SIGNING ? "signing" : "identification"}},
                       result);
    });
}

}  // namespace

SITHSD_EXPORT sithsd_status sithsd_authenticate(sithsd_client* client, const char* origin,
                                                const char* challenge_nonce,
                                                const char* certificate_id, sithsd_require require,
                                                sithsd_token** token, sithsd_error** error) {
    return guarded(error, [&] {
        if (!client || !origin || !challenge_nonce || !token)
            return invalid_argument(error, "sithsd_authenticate: NULL");
        boost::json::object params{{"origin", origin}, {"challengeNonce", challenge_nonce}};
        if (certificate_id) params["certificateId"] = certificate_id;
        if (auto name = require_name(require); !name.empty()) params["require"] = name;
        boost::json::value result;
        if (auto status = request(client, error, "authenticate", std::move(params), result);
            status != SITHSD_OK)
            return status;
        return hand_out(token, error, parse_token(result));
    });
}

SITHSD_EXPORT const char* sithsd_token_json(const sithsd_token* token) {
    return token ? token->json.c_str() : nullptr;
}

SITHSD_EXPORT const char* sithsd_token_algorithm(const sithsd_token* token) {
    return token ? token->algorithm.c_str() : nullptr;
}

SITHSD_EXPORT const uint8_t* sithsd_token_certificate_der(const sithsd_token* token,
                                                          size_t* length) {
    if (!token) {
        if (length) *length = 0;
        return nullptr;
    }
    return bytes_out(token->certificate_der, length);
}

SITHSD_EXPORT sithsd_status sithsd_sign(sithsd_client* client, const char* certificate_id,
                                        const char* display_text, sithsd_signature_format format,
                                        const uint8_t* data, size_t length,
                                        sithsd_signature** signature, sithsd_error** error) {
    return guarded(error, [&] {
        if (!client || (!data && length > 0) || !signature || !valid_format(format))
            return invalid_argument(error, "sithsd_sign: NULL or an unknown format");
        auto params = sign_params(certificate_id, display_text, format);
        params["data"] = sithsd::protocol::base64_encode({data, length});
        return sign_with(client, std::move(params), format, signature, error);
    });
}

SITHSD_EXPORT sithsd_status sithsd_sign_hash(sithsd_client* client, const char* certificate_id,
                                             const char* display_text,
                                             sithsd_signature_format format,
                                             sithsd_hash hash_algorithm, const uint8_t* hash,
                                             size_t length, sithsd_signature** signature,
                                             sithsd_error** error) {
    return guarded(error, [&] {
        const char* algorithm = hash_name(hash_algorithm);
        if (!client || !hash || !signature || !algorithm || !valid_format(format))
            return invalid_argument(error, "sithsd_sign_hash: NULL or an unknown algorithm");
        auto params = sign_params(certificate_id, display_text, format);
        params["hash"] = sithsd::protocol::base64_encode({hash, length});
        params["hashAlgorithm"] = algorithm;
        return sign_with(client, std::move(params), format, signature, error);
    });
}

SITHSD_EXPORT sithsd_signature_format
sithsd_signature_format_of(const sithsd_signature* signature) {
    return signature ? signature->format : SITHSD_FORMAT_CMS;
}

SITHSD_EXPORT const uint8_t* sithsd_signature_bytes(const sithsd_signature* signature,
                                                    size_t* length) {
    if (!signature) {
        if (length) *length = 0;
        return nullptr;
    }
    return bytes_out(signature->bytes, length);
}

SITHSD_EXPORT const char* sithsd_signature_algorithm(const sithsd_signature* signature) {
    return signature ? text_or_null(signature->algorithm) : nullptr;
}

SITHSD_EXPORT const uint8_t* sithsd_signature_certificate_der(const sithsd_signature* signature,
                                                              size_t* length) {
    if (!signature) {
        if (length) *length = 0;
        return nullptr;
    }
    return bytes_out(signature->certificate_der, length);
}

SITHSD_EXPORT sithsd_status sithsd_change_pin(sithsd_client* client, const char* card_id,
                                              sithsd_pin_kind pin, sithsd_error** error) {
    return pin_call(client, "changePin", card_id, pin, error);
}

SITHSD_EXPORT sithsd_status sithsd_unblock_pin(sithsd_client* client, const char* card_id,
                                               sithsd_pin_kind pin, sithsd_error** error) {
    return pin_call(client, "unblockPin", card_id, pin, error);
}
