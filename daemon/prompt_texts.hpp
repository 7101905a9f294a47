#pragma once
// What the person reads in a prompt, in Swedish (the default) or English. The description of a PIN
// prompt always names who asks, the certificate holder, which PIN, the tries left when fewer than
// all remain, and for a signature the whole text to be signed (or that the page did not say).
#include <optional>
#include <string>
#include <vector>

#include "daemon/prompt.hpp"
#include "pkcs11/card_model.hpp"

namespace sithsd::daemon {

struct PinPromptFacts {
    std::string language;  // "sv" or "en"
    PinKind kind;
    std::string requester;  // "https://beh.example.se" or "program /usr/bin/foo"
    std::string holder;     // "Tolvan Tolvansson, Testregionen Västra"
    pkcs11::PinStatus status = pkcs11::PinStatus::ok;
    std::optional<std::string> display_text;  // sign only; absent: the page did not say
};

PromptText pin_prompt(const PinPromptFacts& facts);
// On a PIN-pad reader: a MESSAGE asking to use the reader's keys.
PromptText pin_pad_message(const PinPromptFacts& facts);
// pin_pad_message on a PIN-pad reader, pin_prompt otherwise.
PromptText pin_text(const PinPromptFacts& facts, bool pin_pad);

// The holder as a prompt names it: "Tolvan Tolvansson, Testregionen Västra", and when the card
// has another certificate of the same purpose, the identity that tells them apart: the HSA-ID, or
// the personnummer masked ("19121212-****").
std::string prompt_holder(const std::vector<pkcs11::CardInfo>& cards,
                          const pkcs11::CardCertificate& cert);
// "191212121212" -> "19121212-****".
std::string masked_personnummer(const std::string& number);
// Shown above the field when a PIN of the wrong length was given (and not sent to the card).
std::string pin_length_error(const std::string& language, std::size_t min, std::size_t max);
PromptText consent_prompt(const std::string& language, const std::string& origin);
// The identification PIN cache: the card is unlocked for `holder` (who typed the PIN); may
// `requester` log in with that login too, without the PIN? Names both and the certificate.
PromptText kept_login_prompt(const std::string& language, const std::string& holder,
                             const std::string& requester, const std::string& certificate);

// changePin and unblockPin: the current PIN (or the PUK), then the new one.
struct PinChangePrompts {
    PromptText current, chosen;
};
PinChangePrompts pin_change_prompts(const std::string& language, PinKind kind,
                                    const std::string& requester, bool unblock);

}  // namespace sithsd::daemon
