#pragma once
// C_GetInfo of a loaded module, for `sithsctl doctor`: who made it and which version it is.
#include <string>

#include "pkcs11/module.hpp"

namespace sithsd::pkcs11 {

struct ModuleInfo {
    std::string manufacturer;      // manufacturerID, trailing blanks removed
    std::string description;       // libraryDescription
    std::string library_version;   // "0.23"
    std::string cryptoki_version;  // "2.40"
};

// Throws CardError when C_GetInfo fails.
ModuleInfo module_info(const Module& module);

}  // namespace sithsd::pkcs11
