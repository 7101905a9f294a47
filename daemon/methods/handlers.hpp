#pragma once
// The handlers of the method table's rows (protocol/method_table.hpp), a file per family:
// queries.cpp (hello, listCards, listCertificates, status, cancel), authenticate.cpp, sign.cpp,
// pins.cpp (changePin, unblockPin), introduce.cpp. The dispatcher has checked who may call, consent
// and the rate limit, and parsed the params; a handler answers the request exactly once (card
// methods through the CardJobRunner, which also writes the audit line).
#include <memory>
#include <string_view>

#include "daemon/methods/services.hpp"
#include "daemon/pending_requests.hpp"
#include "protocol/method_table.hpp"

namespace sithsd::daemon {

struct Call {
    std::shared_ptr<PendingRequest> request;
    protocol::MethodParams params;  // the row's parser's result
};

using Handler = void (*)(const Services& services, const Call& call);

// The handler of a method of the table; nullptr for any other name.
Handler find_handler(std::string_view method) noexcept;

// hello's (and introduce's) "methods": what this caller may call, from the method table.
boost::json::array method_list(OriginAuthority caller);
// hello's and introduce's "originStatus": "allowed" when the peer's origin may use the card now
// (the allow list, or the person's remembered answer; a local program), else the config's verdict.
std::string_view origin_status(const Services& services, const Peer& peer);

void hello(const Services& services, const Call& call);
void list_cards(const Services& services, const Call& call);
void list_certificates(const Services& services, const Call& call);
void status(const Services& services, const Call& call);
void cancel(const Services& services, const Call& call);
void authenticate(const Services& services, const Call& call);
void sign(const Services& services, const Call& call);
void change_pin(const Services& services, const Call& call);
void unblock_pin(const Services& services, const Call& call);
void introduce(const Services& services, const Call& call);
void module_certificates(const Services& services, const Call& call);  // module.cpp
void module_sign(const Services& services, const Call& call);

}  // namespace sithsd::daemon
