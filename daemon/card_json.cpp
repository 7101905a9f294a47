#include "daemon/card_json.hpp"

#include "protocol/base64.hpp"

namespace sithsd::daemon {
namespace {

boost::json::object pin_json(const std::optional<pkcs11::PinInfo>& pin) {
    // A card without that PIN's slot shows it as unknown, so that the shape stays the same.
    pkcs11::PinInfo info = pin.value_or(pkcs11::PinInfo{});
    return {{"status", pkcs11::to_string(info.status)}, {"pinPad", info.pin_pad}};
}

boost::json::value optional_string(const std::optional<std::string>& s) {
    return s ? boost::json::value(*s) : boost::json::value(nullptr);
}

}  // namespace

boost::json::object card_json(const pkcs11::CardInfo& card) {
    return {
        {"cardId", card.card_id},
        {"reader", card.reader},
        {"label", card.label},
        {"pins",
         {{"identification", pin_json(card.identification)}, {"signing", pin_json(card.signing)}}}};
}

boost::json::array cards_json(const std::vector<pkcs11::CardInfo>& cards) {
    boost::json::array out;
    for (const auto& card : cards) out.push_back(card_json(card));
    return out;
}

boost::json::object certificate_json(const pkcs11::CardCertificate& cert,
                                     std::chrono::system_clock::time_point now) {
    const auto& info = cert.info;
    boost::json::object subject{{"commonName", info.common_name},
                                {"givenName", info.given_name},
                                {"surname", info.surname},
                                {"serialNumber", info.subject_serial_number},
                                {"organization", info.organization}};
    return {{"certificateId", info.certificate_id},
            {"cardId", cert.card_id},
            {"purpose", info.purpose ? std::string(purpose_name(*info.purpose)) : "identification"},
            {"certificate", protocol::base64_encode(info.der)},
            {"subject", std::move(subject)},
            {"hsaId", optional_string(info.hsa_id)},
            {"personalIdentityNumber", optional_string(info.personal_identity_number)},
            {"displayName", info.display_name()},
            {"issuer", info.issuer},
            {"keyAlgorithm", info.key_algorithm},
            {"notBefore", rfc3339(info.not_before)},
            {"notAfter", rfc3339(info.not_after)},
            {"expiresInDays", info.days_left(now)}};
}

}  // namespace sithsd::daemon
