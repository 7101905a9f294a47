#include "pkcs11/module_info.hpp"

#include <p11-kit/pkcs11.h>

#include "pkcs11/card_error.hpp"

namespace sithsd::pkcs11 {
namespace {

// PKCS#11 strings are fixed-width, blank-padded, not NUL-terminated.
template <std::size_t N>
std::string padded(const unsigned char (&field)[N]) {
    std::string text(reinterpret_cast<const char*>(field), N);
    text.erase(text.find_last_not_of(" \0", std::string::npos, 2) + 1);
    return text;
}

std::string version(const CK_VERSION& v) {
    return std::to_string(v.major) + "." + std::to_string(v.minor);
}

}  // namespace

ModuleInfo module_info(const Module& module) {
    CK_INFO info{};
    check(module.functions()->C_GetInfo(&info), "C_GetInfo");
    return {padded(info.manufacturerID), padded(info.libraryDescription),
            version(info.libraryVersion), version(info.cryptokiVersion)};
}

}  // namespace sithsd::pkcs11
