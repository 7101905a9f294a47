// An authentication token as a relying party receives it, against fixed trust anchors, no OCSP.
#include <string_view>

#include "fuzz_targets.hpp"
#include "protocol/verifier.hpp"

namespace sithsd::fuzz {

int token(const std::uint8_t* data, std::size_t size) {
    using namespace sithsd::protocol;
    static const Verifier verifier([] {
        VerifierOptions o;
        o.trust = SITHSD_FUZZ_DATA "/root.pem";
        o.intermediates = SITHSD_FUZZ_DATA "/chain.pem";
        o.no_ocsp = true;
        return o;
    }());
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)verifier.verify_token(text, "https://beh.example.se",
                                "12345678901234567890123456789012345678901234");
    return 0;
}

}  // namespace sithsd::fuzz

SITHSD_FUZZ_ENTRY(token)
