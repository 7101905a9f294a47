// Untrusted bytes from a socket: the message, then every method's params parser on its params.
#include <string_view>

#include "fuzz_targets.hpp"
#include "protocol/jsonrpc.hpp"
#include "protocol/method_table.hpp"

namespace sithsd::fuzz {

int request(const std::uint8_t* data, std::size_t size) {
    using namespace sithsd::protocol;
    const auto parsed = parse_message(std::string_view(reinterpret_cast<const char*>(data), size));
    if (const auto* r = std::get_if<Request>(&parsed)) {
        // Every parser on every params object: more paths than the method alone would reach.
        for (const auto& row : method_table()) {
            (void)row.parse(r->params, OriginAuthority::browser_handshake);
            (void)row.parse(r->params, OriginAuthority::local_user);
        }
        (void)find_method(r->method);
        if (r->id) (void)serialize_result(*r->id, r->params);
    }
    return 0;
}

}  // namespace sithsd::fuzz

SITHSD_FUZZ_ENTRY(request)
