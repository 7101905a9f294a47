// An Origin header from the handshake, and allow/deny list entries from the config. What parses
// must serialize to a form that parses back to the same origin.
#include <cstdlib>
#include <string_view>

#include "fuzz_targets.hpp"
#include "protocol/origin.hpp"

namespace sithsd::fuzz {

int origin(const std::uint8_t* data, std::size_t size) {
    using namespace sithsd::protocol;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto o = parse_origin(text)) {
        auto again = parse_origin(o->serialize());
        if (!again || !(*again == *o)) std::abort();  // serialization must round-trip
        if (o->serialize().size() > 255) std::abort();
    }
    if (auto pattern = OriginPattern::parse(text)) {
        auto again = OriginPattern::parse(pattern->serialize());
        if (!again || again->serialize() != pattern->serialize()) std::abort();
        if (auto o = parse_origin(text)) (void)pattern->matches(*o);
    }
    return 0;
}

}  // namespace sithsd::fuzz

SITHSD_FUZZ_ENTRY(origin)
