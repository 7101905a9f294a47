#include "pkcs11/reader_survey.hpp"

#include <PCSC/reader.h>
#include <PCSC/winscard.h>

#include <cstdint>

#include "pkcs11/pcsc.hpp"

namespace sithsd::pkcs11 {
namespace {

// PC/SC part 10: a reader that verifies the PIN itself lists FEATURE_VERIFY_PIN_DIRECT (or the
// start/finish pair) in its answer to CM_IOCTL_GET_FEATURE_REQUEST, asked over a direct connection
// (no card needed).
std::optional<bool> has_pin_pad(SCARDCONTEXT context, const std::string& reader) {
    SCARDHANDLE card = 0;
    DWORD protocol = 0;
    if (SCardConnect(context, reader.c_str(), SCARD_SHARE_DIRECT, 0, &card, &protocol) !=
        SCARD_S_SUCCESS)
        return std::nullopt;
    std::uint8_t answer[256];
    DWORD length = 0;
    const LONG rv = SCardControl(card, CM_IOCTL_GET_FEATURE_REQUEST, nullptr, 0, answer,
                                 sizeof answer, &length);
    SCardDisconnect(card, SCARD_LEAVE_CARD);
    if (rv != SCARD_S_SUCCESS) return std::nullopt;
    // TLV: tag (1 byte), length 4, control code (4 bytes, big endian).
    for (DWORD i = 0; i + 6 <= length; i += 6) {
        const std::uint8_t tag = answer[i];
        if (tag == FEATURE_VERIFY_PIN_DIRECT || tag == FEATURE_VERIFY_PIN_START) return true;
    }
    return false;
}

}  // namespace

ReaderSurvey survey_readers() {
    ReaderSurvey survey;
    try {
        pcsc::Context context;
        survey.service = true;
        const auto native = static_cast<SCARDCONTEXT>(context.handle());
        for (const auto& name : context.readers()) {
            SCARD_READERSTATE state{};
            state.szReader = name.c_str();
            state.dwCurrentState = SCARD_STATE_UNAWARE;
            ReaderState reader;
            reader.name = name;
            if (SCardGetStatusChange(native, 0, &state, 1) == SCARD_S_SUCCESS)
                reader.card_present = (state.dwEventState & SCARD_STATE_PRESENT) != 0;
            reader.pin_pad = has_pin_pad(native, name);
            survey.readers.push_back(std::move(reader));
        }
    } catch (const pcsc::Error& e) {
        survey.error = e.what();
    }
    return survey;
}

}  // namespace sithsd::pkcs11
