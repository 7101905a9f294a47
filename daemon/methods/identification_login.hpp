#pragma once
// The identification key's signature for one requester (authenticate, moduleSign), with the
// identification PIN cache scoped to requesters (PROTOCOL.md "The identification PIN cache"): a
// login kept for a requester serves that requester only; another one gets the PIN prompt, or,
// when it is an origin on the configured allow list, a confirm that names both.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/audit_log.hpp"
#include "daemon/cards.hpp"
#include "daemon/connection.hpp"
#include "daemon/methods/services.hpp"
#include "daemon/pending_requests.hpp"

namespace sithsd::daemon {

// What the cache may do for a requester, decided from its Peer when the request arrives.
struct RequesterLogin {
    // Whom a login made for it is kept for; nullopt: none is kept for it, none used (the cache
    // is off, or a local program whose executable could not be read).
    std::optional<LoginHolder> holder;
    // An origin on the configured allow list: a login kept for another requester may serve it
    // after a confirm (CONFIRM, no PIN). Everyone else types the PIN.
    bool may_confirm = false;
};

// An origin the browser vouches for: "origin ORIGIN"; the browser module: "browser EXE"; another
// local program: "program EXE" (by /proc/PID/exe, whatever origin it names).
RequesterLogin requester_login(const Services& services, const Peer& peer);

// Signs request (an identification key of cert) for the requester: with the login kept for it;
// with one kept for another requester after the person's confirm (may_confirm); otherwise after
// the identification PIN (asked again after a wrong one, see PinAsker), the login then kept for
// this requester alone. who: the requester as the PIN prompt names it. Throws the wire error.
std::vector<std::uint8_t> sign_for_requester(const Services& services, PendingRequest& pending,
                                             const AuditEntry& audit, const RequesterLogin& login,
                                             const pkcs11::CardCertificate& cert,
                                             const pkcs11::SignatureRequest& request,
                                             const std::string& who);

}  // namespace sithsd::daemon
