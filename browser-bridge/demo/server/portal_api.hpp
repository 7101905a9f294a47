#pragma once
// The demo portal's JSON API, apart from HTTP: what a portal's server does with sithsd's results.
//   POST /api/nonce                  -> {"nonce"}                       (single use, 5 minutes)
//   POST /api/login {token, nonce}   -> {"name","hsaId",...}            (verify_token + OCSP)
//   GET  /api/orders                 -> {"orders":[...]}
//   POST /api/orders/ID/prepare      -> {"displayText","data"}          (what is to be signed)
//   POST /api/orders/ID/attest {cms} -> {"order"}                       (verify_cms + displayText)
// Failures: {"error": REASON, "message": a Swedish sentence for the page}.

#include <mutex>
#include <string>
#include <string_view>

#include "browser-bridge/demo/server/nonce_store.hpp"
#include "browser-bridge/demo/server/orders.hpp"
#include "protocol/verifier.hpp"

namespace sithsd::portal {

struct ApiResponse {
    int status = 200;
    std::string body;  // JSON
};

class PortalApi {
  public:
    // `origin`: this portal's own origin (what the token's signature must be over).
    PortalApi(const protocol::Verifier& verifier, NonceStore& nonces, OrderBook& orders,
              std::string origin);

    // Any /api/ request; 404 with NOT_FOUND for a path or method it does not know.
    ApiResponse handle(std::string_view method, std::string_view target, std::string_view body);

  private:
    ApiResponse login(std::string_view body);
    ApiResponse prepare(const std::string& id);
    ApiResponse attest(const std::string& id, std::string_view body);

    const protocol::Verifier& verifier_;
    std::mutex verify_mutex_;  // one verification at a time (OCSP requests included)
    NonceStore& nonces_;
    OrderBook& orders_;
    std::string origin_;
};

// The Swedish sentence the pages show for a verifier's rejection.
std::string_view swedish_message(protocol::VerifyError error) noexcept;

}  // namespace sithsd::portal
