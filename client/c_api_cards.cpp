// sithsd/client.h: listCards and listCertificates, and what a card and a certificate tell.
#include "client/c_api.hpp"

using namespace sithsd::client;

SITHSD_EXPORT sithsd_status sithsd_list_cards(sithsd_client* client, sithsd_card_list** cards,
                                              sithsd_error** error) {
    return guarded(error, [&] {
        if (!client || !cards) return invalid_argument(error, "sithsd_list_cards: NULL");
        boost::json::value result;
        if (auto status = request(client, error, "listCards", {}, result); status != SITHSD_OK)
            return status;
        return hand_out(cards, error, parse_cards(result));
    });
}

SITHSD_EXPORT size_t sithsd_card_list_size(const sithsd_card_list* cards) {
    return cards ? cards->cards.size() : 0;
}

SITHSD_EXPORT const sithsd_card* sithsd_card_list_at(const sithsd_card_list* cards, size_t index) {
    return cards && index < cards->cards.size() ? &cards->cards[index] : nullptr;
}

SITHSD_EXPORT const char* sithsd_card_id(const sithsd_card* card) {
    return card ? card->id.c_str() : nullptr;
}

SITHSD_EXPORT const char* sithsd_card_reader(const sithsd_card* card) {
    return card ? card->reader.c_str() : nullptr;
}

SITHSD_EXPORT const char* sithsd_card_label(const sithsd_card* card) {
    return card ? card->label.c_str() : nullptr;
}

SITHSD_EXPORT sithsd_pin_status sithsd_card_pin_status(const sithsd_card* card,
                                                       sithsd_pin_kind pin) {
    if (!card) return SITHSD_PIN_UNKNOWN;
    return (pin == SITHSD_PIN_SIGNING ? card->signing : card->identification).status;
}

SITHSD_EXPORT int sithsd_card_pin_pad(const sithsd_card* card, sithsd_pin_kind pin) {
    if (!card) return 0;
    return (pin == SITHSD_PIN_SIGNING ? card->signing : card->identification).pin_pad ? 1 : 0;
}

SITHSD_EXPORT sithsd_status sithsd_list_certificates(sithsd_client* client, sithsd_purpose purpose,
                                                     sithsd_require require, const char* card_id,
                                                     sithsd_certificate_list** certificates,
                                                     sithsd_error** error) {
    return guarded(error, [&] {
        if (!client || !certificates)
            return invalid_argument(error, "sithsd_list_certificates: NULL");
        boost::json::object params;
        if (auto name = purpose_name(purpose); !name.empty()) params["purpose"] = name;
        if (auto name = require_name(require); !name.empty()) params["require"] = name;
        if (card_id) params["cardId"] = card_id;
        boost::json::value result;
        if (auto status = request(client, error, "listCertificates", std::move(params), result);
            status != SITHSD_OK)
            return status;
        return hand_out(certificates, error, parse_certificates(result));
    });
}

SITHSD_EXPORT size_t sithsd_certificate_list_size(const sithsd_certificate_list* certificates) {
    return certificates ? certificates->certificates.size() : 0;
}

SITHSD_EXPORT const sithsd_certificate* sithsd_certificate_list_at(
    const sithsd_certificate_list* certificates, size_t index) {
    return certificates && index < certificates->certificates.size()
               ? &certificates->certificates[index]
               : nullptr;
}

SITHSD_EXPORT const char* sithsd_certificate_id(const sithsd_certificate* certificate) {
    return certificate ? certificate->id.c_str() : nullptr;
}

SITHSD_EXPORT const char* sithsd_certificate_card_id(const sithsd_certificate* certificate) {
    return certificate ? certificate->card_id.c_str() : nullptr;
}

SITHSD_EXPORT sithsd_purpose sithsd_certificate_purpose(const sithsd_certificate* certificate) {
    return certificate ? certificate->purpose : SITHSD_PURPOSE_ANY;
}

SITHSD_EXPORT const uint8_t* sithsd_certificate_der(const sithsd_certificate* certificate,
                                                    size_t* length) {
    if (!certificate) {
        if (length) *length = 0;
        return nullptr;
    }
    return bytes_out(certificate->der, length);
}

SITHSD_EXPORT const char* sithsd_certificate_display_name(const sithsd_certificate* certificate) {
    return certificate ? certificate->display_name.c_str() : nullptr;
}

SITHSD_EXPORT const char* sithsd_certificate_common_name(const sithsd_certificate* certificate) {
    return certificate ? certificate->common_name.c_str() : nullptr;
}

SITHSD_EXPORT const char* sithsd_certificate_organization(const sithsd_certificate* certificate) {
    return certificate ? text_or_null(certificate->organization) : nullptr;
}

SITHSD_EXPORT const char* sithsd_certificate_hsa_id(const sithsd_certificate* certificate) {
    return certificate ? text_or_null(certificate->hsa_id) : nullptr;
}

SITHSD_EXPORT const char* sithsd_certificate_personal_identity_number(
    const sithsd_certificate* certificate) {
    return certificate ? text_or_null(certificate->personal_identity_number) : nullptr;
}

SITHSD_EXPORT const char* sithsd_certificate_issuer(const sithsd_certificate* certificate) {
    return certificate ? certificate->issuer.c_str() : nullptr;
}

SITHSD_EXPORT const char* sithsd_certificate_key_algorithm(const sithsd_certificate* certificate) {
    return certificate ? certificate->key_algorithm.c_str() : nullptr;
}

SITHSD_EXPORT int64_t sithsd_certificate_not_before(const sithsd_certificate* certificate) {
    return certificate ? certificate->not_before : 0;
}

SITHSD_EXPORT int64_t sithsd_certificate_not_after(const sithsd_certificate* certificate) {
    return certificate ? certificate->not_after : 0;
}
