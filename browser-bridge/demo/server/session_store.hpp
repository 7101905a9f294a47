#pragma once
// The demo portal's server-side sessions, kept in the same TtlStore as the nonces (so with Redis
// every node sees them): the cookie carries only a random id; the pending challenge nonce and
// who logged in stay on the server, as Web eID's validation guidance wants.
//   sithsd:session:<id> -> {"nonce": "...", "user": {...}}   (EX lifetime, renewed on save)

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/ttl_store.hpp"

namespace sithsd::portal {

struct Session {
    std::string id;                           // 32 random bytes, base64url (43 characters)
    std::string nonce;                        // the challenge issued to it and not yet spent
    std::optional<boost::json::object> user;  // who logged in (the verified identity)
};

class SessionStore {
  public:
    static constexpr std::chrono::seconds default_lifetime{30 * 60};

    explicit SessionStore(protocol::TtlStore& store,
                          std::chrono::seconds lifetime = default_lifetime);

    // A new session with a fresh id (stored by save()).
    Session create() const;
    // The session of a cookie's id; nullopt when unknown, expired, or not an id we could have
    // made (then the store is not even asked). Throws protocol::StoreUnavailable.
    std::optional<Session> find(std::string_view id);
    void save(const Session& session);
    void remove(std::string_view id);

    std::chrono::seconds lifetime() const { return lifetime_; }

  private:
    protocol::TtlStore& store_;
    std::chrono::seconds lifetime_;
};

// The session id in a Cookie header ("a=1; portal_session=ID"), or empty.
std::string session_cookie(std::string_view cookie_header);
// The Set-Cookie value: HttpOnly, SameSite=Strict, Path=/, Secure when the portal is https.
std::string session_set_cookie(std::string_view id, bool secure);
// The Set-Cookie value that removes it from the browser (logout).
std::string session_clear_cookie(bool secure);

}  // namespace sithsd::portal
