#pragma once
// The checks of the cards a module shows: a card present, its tokens, its certificates, its PINs.
#include <vector>

#include "daemon/doctor/check_result.hpp"
#include "pkcs11/card_model.hpp"
#include "pkcs11/reader_survey.hpp"

namespace sithsd::daemon::doctor {

// "19121212-****": a personnummer or samordningsnummer with its last four digits hidden.
std::string mask_personal_number(const std::string& number);

// modules_loaded: false when no module loaded (then the card checks are skipped).
CheckResult check_card_present(const Situation& s, bool modules_loaded,
                               const std::vector<pkcs11::CardInfo>& cards,
                               const pkcs11::ReaderSurvey& survey);
CheckResult check_certificates(const Situation& s, const std::vector<pkcs11::CardInfo>& cards);
CheckResult check_pins(const Situation& s, const std::vector<pkcs11::CardInfo>& cards);

}  // namespace sithsd::daemon::doctor
