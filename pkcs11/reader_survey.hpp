#pragma once
// What PC/SC sees right now, for `sithsctl doctor`: whether pcscd answers, its readers, whether a
// card is in each and whether the reader has a PIN pad. One look, no waiting for changes.
#include <optional>
#include <string>
#include <vector>

namespace sithsd::pkcs11 {

struct ReaderState {
    std::string name;
    bool card_present = false;
    std::optional<bool> pin_pad;  // nullopt when the reader could not be asked
};

struct ReaderSurvey {
    bool service = false;  // SCardEstablishContext succeeded: pcscd runs and answers
    std::string error;     // pcsc-lite's text when it did not, or when listing failed
    std::vector<ReaderState> readers;
};

// Never throws: a failure is written into the survey.
ReaderSurvey survey_readers();

}  // namespace sithsd::pkcs11
