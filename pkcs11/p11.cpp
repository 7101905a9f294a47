#include "pkcs11/p11.hpp"

#include <stdexcept>

namespace sithsd::pkcs11::p11 {

Session::Session(CK_FUNCTION_LIST* f, CK_SLOT_ID slot, bool read_write) : f_(f) {
    CK_FLAGS flags = CKF_SERIAL_SESSION | (read_write ? CKF_RW_SESSION : 0);
    check(f_->C_OpenSession(slot, flags, nullptr, nullptr, &handle_), "C_OpenSession");
}

Session::~Session() {
    // A session on a removed card is already gone; nothing more to do then.
    if (handle_ != CK_INVALID_HANDLE) f_->C_CloseSession(handle_);
}

std::vector<CK_OBJECT_HANDLE> Session::find(CK_OBJECT_CLASS cls,
                                            const std::vector<std::uint8_t>* id) {
    CK_ATTRIBUTE templ[2] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_ID, nullptr, 0}};
    CK_ULONG count = 1;
    if (id) {
        templ[1].pValue = const_cast<std::uint8_t*>(id->data());
        templ[1].ulValueLen = id->size();
        count = 2;
    }
    check(f_->C_FindObjectsInit(handle_, templ, count), "C_FindObjectsInit");
    std::vector<CK_OBJECT_HANDLE> found;
    CK_OBJECT_HANDLE batch[32];
    CK_ULONG n = 0;
    CK_RV rv;
    while ((rv = f_->C_FindObjects(handle_, batch, 32, &n)) == CKR_OK && n > 0) {
        found.insert(found.end(), batch, batch + n);
    }
    f_->C_FindObjectsFinal(handle_);
    check(rv, "C_FindObjects");
    return found;
}

std::optional<std::vector<std::uint8_t>> Session::bytes(CK_OBJECT_HANDLE object,
                                                        CK_ATTRIBUTE_TYPE type) {
    CK_ATTRIBUTE attribute{type, nullptr, 0};
    CK_RV rv = f_->C_GetAttributeValue(handle_, object, &attribute, 1);
    if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
        attribute.ulValueLen == CK_UNAVAILABLE_INFORMATION)
        return std::nullopt;
    check(rv, "C_GetAttributeValue");
    std::vector<std::uint8_t> value(attribute.ulValueLen);
    attribute.pValue = value.data();
    check(f_->C_GetAttributeValue(handle_, object, &attribute, 1), "C_GetAttributeValue");
    value.resize(attribute.ulValueLen);
    return value;
}

std::optional<bool> Session::flag(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
    auto value = bytes(object, type);
    if (!value || value->size() != sizeof(CK_BBOOL)) return std::nullopt;
    return (*value)[0] != CK_FALSE;
}

std::optional<CK_ULONG> Session::number(CK_OBJECT_HANDLE object, CK_ATTRIBUTE_TYPE type) {
    CK_ULONG value = 0;
    CK_ATTRIBUTE attribute{type, &value, sizeof value};
    CK_RV rv = f_->C_GetAttributeValue(handle_, object, &attribute, 1);
    if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE) return std::nullopt;
    check(rv, "C_GetAttributeValue");
    return value;
}

Login::Login(Session& session, CK_USER_TYPE user, const Secret* pin, bool pin_pad)
    : session_(session) {
    // The PIN bytes are handed to the module and nowhere else; a PIN-pad login passes NULL.
    const bool use_pad = pin_pad && (!pin || pin->empty());
    if (!use_pad && !pin)
        throw std::invalid_argument("C_Login without a PIN on a reader without a PIN pad");
    CK_UTF8CHAR_PTR bytes = use_pad ? nullptr : const_cast<CK_UTF8CHAR_PTR>(pin->data());
    CK_ULONG length = use_pad ? 0 : pin->size();
    check(session.f()->C_Login(session.handle(), user, bytes, length), "C_Login");
    // A context-specific login lasts for one operation; there is nothing to log out.
    active_ = user != CKU_CONTEXT_SPECIFIC;
}

Login::~Login() {
    if (active_) session_.f()->C_Logout(session_.handle());
}

CK_TOKEN_INFO token_info(CK_FUNCTION_LIST* f, CK_SLOT_ID slot) {
    CK_TOKEN_INFO info{};
    check(f->C_GetTokenInfo(slot, &info), "C_GetTokenInfo");
    return info;
}

std::string trimmed(const unsigned char* text, std::size_t size) {
    std::string s(reinterpret_cast<const char*>(text), size);
    auto end = s.find_last_not_of(" \0", std::string::npos, 2);
    return end == std::string::npos ? std::string() : s.substr(0, end + 1);
}

PinStatus pin_status(const CK_TOKEN_INFO& info) {
    if (info.flags & CKF_USER_PIN_LOCKED) return PinStatus::locked;
    if (info.flags & CKF_USER_PIN_FINAL_TRY) return PinStatus::final_try;
    if (info.flags & CKF_USER_PIN_COUNT_LOW) return PinStatus::count_low;
    return PinStatus::ok;
}

}  // namespace sithsd::pkcs11::p11
