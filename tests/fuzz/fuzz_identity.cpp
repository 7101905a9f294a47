// A certificate's subject (DER from a card or a token), and the id forms on raw text.
#include <stdexcept>
#include <string_view>

#include "fuzz_targets.hpp"
#include "pkcs11/certificate.hpp"
#include "protocol/certificate_identity.hpp"

namespace sithsd::fuzz {

int identity(const std::uint8_t* data, std::size_t size) {
    using namespace sithsd::protocol;
    if (auto id = certificate_identity(std::span(data, size))) (void)to_json(*id);
    // The card layer reads the same bytes from a card (pkcs11/certificate.cpp).
    try {
        auto info = sithsd::pkcs11::parse_certificate(std::span(data, size));
        (void)info.display_name();
    } catch (const std::invalid_argument&) {
    }
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)is_hsa_id(text);
    (void)is_personal_identity_number(text);
    return 0;
}

}  // namespace sithsd::fuzz

SITHSD_FUZZ_ENTRY(identity)
