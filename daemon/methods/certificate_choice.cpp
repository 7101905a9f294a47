#include "daemon/methods/certificate_choice.hpp"

#include "daemon/card_json.hpp"

namespace sithsd::daemon {

using protocol::ErrorCode;
using protocol::ProtocolError;

namespace {

Choice refuse(ErrorCode code, std::string message) {
    return {std::nullopt, ProtocolError(code, std::move(message))};
}

}  // namespace

bool meets(const pkcs11::CardCertificate& cert, std::optional<protocol::Requirement> require) {
    if (!require) return true;
    return *require == protocol::Requirement::HsaId
               ? cert.info.hsa_id.has_value()
               : cert.info.personal_identity_number.has_value();
}

Choice choose_certificate(const std::vector<pkcs11::CardInfo>& cards, Purpose purpose,
                          const std::optional<std::string>& certificate_id,
                          std::optional<protocol::Requirement> require,
                          std::chrono::system_clock::time_point now) {
    std::vector<pkcs11::CardCertificate> candidates;
    bool other_purpose = false;
    for (const auto& card : cards)
        for (const auto& cert : card.certificates) {
            if (certificate_id && *certificate_id != cert.info.certificate_id) continue;
            if (cert.info.purpose != purpose) {
                other_purpose = other_purpose || certificate_id.has_value();
                continue;
            }
            if (meets(cert, require)) candidates.push_back(cert);
        }
    const bool signing = purpose == Purpose::signing;
    if (candidates.empty()) {
        if (other_purpose)
            return refuse(ErrorCode::CertificateNotFound,
                          signing ? "That is an identification certificate; signing needs a "
                                    "signature certificate."
                                  : "That is a signature certificate; logging in needs an "
                                    "identification certificate.");
        if (certificate_id)
            return refuse(ErrorCode::CertificateNotFound,
                          "No inserted card holds that certificate.");
        if (signing && !cards.empty() && !require)
            return refuse(ErrorCode::CertificateNotFound,
                          "The inserted card has no signature key (it holds only an "
                          "identification certificate).");
        return refuse(ErrorCode::NoCard,
                      signing ? "No card with a matching signature certificate."
                              : "No card with a matching identification certificate.");
    }
    if (candidates.size() > 1) {
        boost::json::array list;
        for (const auto& c : candidates) list.push_back(certificate_json(c, now));
        return {std::nullopt,
                ProtocolError(ErrorCode::CertificateSelectionRequired,
                              "Several certificates match; choose one with certificateId.",
                              {{"candidates", std::move(list)}})};
    }
    if (!candidates.front().info.valid_at(now))
        return refuse(ErrorCode::CertificateExpired,
                      "The certificate is outside its validity period.");
    return {candidates.front(), std::nullopt};
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

}  // namespace sithsd::daemon
