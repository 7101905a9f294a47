// introduce: a local program says what it relays for, once per connection. The native-messaging
// host of our browser extension names the page's origin (which the extension took from the
// browser, never from the page); from then on the connection is treated like a page on the
// WebSocket: the same origin policy, consent and rate limit, and only the methods a page may call.
// The browser's PKCS#11 module says so, and gets the module's methods. Both are programs of the
// same user (the Unix socket checked the uid), so this grants nothing a local program lacks.
#include "daemon/methods/handlers.hpp"
#include "daemon/origin_policy.hpp"

namespace sithsd::daemon {

void introduce(const Services& services, const Call& call) {
    const auto& params = std::get<protocol::IntroduceParams>(call.params);
    Peer peer = call.request->peer();
    peer.authority = params.as;
    peer.origin = params.origin;
    peer.origin_status = OriginStatus::allowed;
    if (params.origin) {
        if (auto refused = services.policy.refusal(*params.origin))
            return (void)call.request->answer_error(
                protocol::ProtocolError(protocol::ErrorCode::OriginDenied, *refused + "."));
        peer.origin_status = services.policy.status(*params.origin);
    }
    services.pending.introduce(call.request->connection()->id(), peer);
    call.request->answer_result(boost::json::object{
        {"methods", method_list(peer.authority)},
        {"origin", peer.origin ? boost::json::value(peer.origin->serialize()) : nullptr},
        // What the extension's host counts the channel by (its budgets, as the WebSocket's).
        {"originStatus", origin_status(services, peer)}});
}

}  // namespace sithsd::daemon
