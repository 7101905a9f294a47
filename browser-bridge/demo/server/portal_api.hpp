#pragma once
// The demo portal's JSON API, apart from HTTP: what a portal's server does with sithsd's results.
//   POST /api/nonce                  -> {"nonce"} + session cookie      (single use, 5 minutes)
//   POST /api/login {token}          -> {"name","hsaId",...}            (the session's nonce,
//                                                                         verify_token + OCSP)
//   GET  /api/session                -> {"user"} of a logged-in session
//   POST /api/logout                 -> {"loggedOut"}                   (the session is removed
//                                                                         and its cookie cleared)
//   GET  /api/orders                 -> {"orders":[...]}
//   POST /api/orders/ID/prepare      -> {"displayText","data"}          (what is to be signed)
//   POST /api/orders/ID/attest {cms} -> {"order"}                       (verify_cms + displayText)
// Failures: {"error": REASON, "message": a Swedish sentence for the page}; 503
// STORE_UNAVAILABLE when the shared store (Redis) cannot be asked: never a login without it.

#include <string>
#include <string_view>

#include "browser-bridge/demo/server/orders.hpp"
#include "browser-bridge/demo/server/session_store.hpp"
#include "protocol/nonce_store.hpp"
#include "protocol/verifier.hpp"

namespace sithsd::portal {

struct ApiRequest {
    std::string_view method;
    std::string_view target;  // the path, without the query
    std::string_view body;
    std::string_view cookie;  // the Cookie header
};

struct ApiResponse {
    int status = 200;
    std::string body;        // JSON
    std::string set_cookie;  // a Set-Cookie value, or empty
};

class PortalApi {
  public:
    // `origin`: this portal's public origin (what the token's signature must be over; https
    // makes the session cookie Secure).
    PortalApi(const protocol::Verifier& verifier, protocol::NonceStore& nonces,
              SessionStore& sessions, OrderBook& orders, std::string origin);

    // Any /api/ request; 404 with NOT_FOUND for a path or method it does not know.
    ApiResponse handle(const ApiRequest& request);

  private:
    ApiResponse nonce(std::string_view cookie);
    ApiResponse login(std::string_view body, std::string_view cookie);
    ApiResponse session(std::string_view cookie);
    ApiResponse logout(std::string_view cookie);
    ApiResponse prepare(const std::string& id);
    ApiResponse attest(const std::string& id, std::string_view body);

    // The verifier is used from every connection's thread at once: it only reads its trust
    // store (X509_STORE locks its own cache) and makes a new context per check.
    const protocol::Verifier& verifier_;
    protocol::NonceStore& nonces_;
    SessionStore& sessions_;
    OrderBook& orders_;
    std::string origin_;
    bool secure_cookie_;
};

// The Swedish sentence the pages show for a verifier's rejection.
std::string_view swedish_message(protocol::VerifyError error) noexcept;

}  // namespace sithsd::portal
