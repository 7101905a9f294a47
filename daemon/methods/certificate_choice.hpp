#pragma once
// Which certificate a request may use: the one asked for, or the only one that matches; the
// errors say why none could be chosen (PROTOCOL.md: CERTIFICATE_NOT_FOUND, NO_CARD,
// CERTIFICATE_SELECTION_REQUIRED with the candidates, CERTIFICATE_EXPIRED).
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pkcs11/card_model.hpp"
#include "pkcs11/card_set.hpp"
#include "protocol/errors.hpp"
#include "protocol/requests.hpp"

namespace sithsd::daemon {

struct Choice {
    std::optional<pkcs11::CardCertificate> certificate;
    std::optional<protocol::ProtocolError> error;
};

Choice choose_certificate(const std::vector<pkcs11::CardInfo>& cards, Purpose purpose,
                          const std::optional<std::string>& certificate_id,
                          std::optional<protocol::Requirement> require,
                          std::chrono::system_clock::time_point now);

// Whether the certificate names what `require` asks for (no requirement: any).
bool meets(const pkcs11::CardCertificate& cert, std::optional<protocol::Requirement> require);

// What the card signs for this certificate: PKCS#1 v1.5 for RSA, ECDSA for EC.
pkcs11::SignatureRequest card_request(const pkcs11::CardCertificate& cert, HashAlgorithm hash,
                                      std::span<const std::uint8_t> digest);

}  // namespace sithsd::daemon
