// A certificate's subject (DER from a card or a token), and the id forms on raw text.
#include <string_view>

#include "fuzz_targets.hpp"
#include "protocol/certificate_identity.hpp"

namespace sithsd::fuzz {

int identity(const std::uint8_t* data, std::size_t size) {
    using namespace sithsd::protocol;
    if (auto id = certificate_identity(std::span(data, size))) (void)to_json(*id);
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)is_hsa_id(text);
    (void)is_personal_identity_number(text);
    return 0;
}

}  // namespace sithsd::fuzz

SITHSD_FUZZ_ENTRY(identity)
