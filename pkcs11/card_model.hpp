#pragma once
// What the card layer tells its callers: cards, the state of their PINs, their certificates.
// Plain values, no PKCS#11 types, so that the daemon never includes pkcs11.h.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/vocabulary.hpp"

namespace sithsd::pkcs11 {

// From the token flags (CKF_USER_PIN_COUNT_LOW, _FINAL_TRY, _LOCKED).
enum class PinStatus { ok, count_low, final_try, locked, unknown };

struct PinInfo {
    PinStatus status = PinStatus::unknown;
    bool pin_pad = false;  // CKF_PROTECTED_AUTHENTICATION_PATH: the reader asks for the PIN
    // The lengths the token accepts (CK_TOKEN_INFO); 0 when it does not say.
    std::size_t min_length = 0, max_length = 0;
};

enum class KeyAlgorithm { rsa, ec };

struct CertificateInfo {
    std::vector<std::uint8_t> der;
    // Stable: a hash of the DER (CardSet scopes it to the card: a hash of cardId and DER).
    std::string certificate_id;
    // Empty for a certificate that is neither (an encryption certificate, a CA): never offered.
    std::optional<Purpose> purpose;
    std::string common_name, given_name, surname, organization;
    std::string subject_serial_number;  // 2.5.4.5 as written in the certificate
    std::optional<std::string> hsa_id;
    std::optional<std::string> personal_identity_number;  // personnummer or samordningsnummer
    std::string issuer;                                   // the issuer's commonName
    std::string serial_hex;                               // the certificate's serial number
    KeyAlgorithm key_type = KeyAlgorithm::rsa;
    int key_bits = 0;           // RSA modulus or EC field size
    std::string key_algorithm;  // "RSA-2048", "EC-P256", "EC-P384", "EC-P521"
    std::chrono::system_clock::time_point not_before, not_after;
    bool is_ca = false;  // basicConstraints CA: an issuing CA's certificate kept on the card

    bool valid_at(std::chrono::system_clock::time_point t) const {
        return not_before <= t && t <= not_after;
    }
    // Whole days until notAfter (negative when expired).
    long days_left(std::chrono::system_clock::time_point now) const;
    // "Tolvan Tolvansson, Testregionen Västra": what a certificate chooser shows.
    std::string display_name() const;
};

struct CardCertificate {
    CertificateInfo info;
    std::string card_id;
    std::vector<std::uint8_t> cka_id;  // of the certificate, its key and its public key
    bool has_private_key = false;      // a certificate without its key on the card cannot sign
};

struct CardInfo {
    std::string card_id;  // stable while inserted and for the same card on re-insertion
    std::string reader;   // slot description of the card's first slot
    std::string label;    // token label of the identification slot
    std::string module;   // path of the PKCS#11 module
    // Empty when the card has no slot for that PIN: `signing` empty means no signature key.
    std::optional<PinInfo> identification;
    std::optional<PinInfo> signing;
    std::vector<CardCertificate> certificates;
    // CA certificates the card carries (DER), for a signature that includes the chain.
    std::vector<std::vector<std::uint8_t>> authority_certificates;
};

const char* to_string(PinStatus status);

}  // namespace sithsd::pkcs11
