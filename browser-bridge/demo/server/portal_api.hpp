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
// The routes are one table in portal_api.cpp (method, path pattern, member function): a new
// endpoint is a row and a member function; a pattern's "{id}" matches one path segment.
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
    std::string body;        // JSON, unless content_type says otherwise
    std::string set_cookie;  // a Set-Cookie value, or empty
    std::string content_type = "application/json; charset=utf-8";  // a download sets its own
};

// A request matched to a route: the request and the path segment its "{id}" matched (if any).
struct ApiCall {
    const ApiRequest& request;
    std::string_view id;
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
    struct Route;

    ApiResponse nonce(const ApiCall& call);
    ApiResponse login(const ApiCall& call);
    ApiResponse session(const ApiCall& call);
    ApiResponse logout(const ApiCall& call);
    ApiResponse orders(const ApiCall& call);
    ApiResponse prepare(const ApiCall& call);
    ApiResponse attest(const ApiCall& call);

    // The verifier is used from every worker thread of the server at once: it only reads its trust
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
