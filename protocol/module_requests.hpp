#pragma once
// The params of the browser module's methods (PROTOCOL.md "The browser's PKCS#11 module"):
// moduleSign carries what the browser handed C_Sign, by mechanism.
#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "common/vocabulary.hpp"
#include "protocol/requests.hpp"

namespace sithsd::protocol {

// The mechanisms of a TLS client login: PKCS#1 v1.5 over the DigestInfo the browser built
// (TLS 1.2), PSS over a hash (TLS 1.3), ECDSA over a hash.
enum class ModuleMechanism { RsaPkcs, RsaPkcsPss, Ecdsa };

inline constexpr std::size_t kMaxModuleSignBytes = 1024;  // a DigestInfo or a hash; far less

struct ModuleSignParams {
    std::string certificate_id;
    ModuleMechanism mechanism = ModuleMechanism::RsaPkcs;
    std::vector<std::uint8_t> data;
    // RSA_PKCS_PSS only: the card signs PSS with MGF1 of the same hash and a salt of the hash's
    // length (what TLS 1.3 uses); other parameters are refused.
    HashAlgorithm hash = HashAlgorithm::sha256;
};

ParamsResult<ModuleSignParams> parse_module_sign(const boost::json::object& params);

}  // namespace sithsd::protocol
