#pragma once
// Challenge nonces as Web eID's authtoken-validation asks a portal to handle them: at least 32
// random bytes (here 32, base64: 44 characters), bound to the browser session that asked, single
// use, valid five minutes. Kept in a TtlStore, so that with Redis a nonce issued by one node is
// accepted once by whichever node the login reaches, and never after its lifetime.
//   issue:   SET sithsd:nonce:<nonce> <session> NX EX <lifetime>
//   consume: GETDEL sithsd:nonce:<nonce>, then the session must be the one it was issued to.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/ttl_store.hpp"

namespace sithsd::protocol {

enum class NonceRefusal {
    Unknown,       // never issued, already used, or expired: NONCE_INVALID
    OtherSession,  // issued to another session: NONCE_MISMATCH
};

// "NONCE_INVALID", "NONCE_MISMATCH"
std::string_view nonce_refusal_name(NonceRefusal r) noexcept;

class NonceStore {
  public:
    static constexpr std::chrono::seconds default_lifetime{300};

    explicit NonceStore(TtlStore& store, std::chrono::seconds lifetime = default_lifetime);

    // A fresh nonce bound to `session_id`. Throws StoreUnavailable.
    std::string issue(std::string_view session_id);
    // Spends the nonce (whatever the outcome: a refused nonce is gone too); nullopt when it was
    // issued to `session_id` and is accepted. Throws StoreUnavailable: then nothing can be said.
    std::optional<NonceRefusal> consume(std::string_view nonce, std::string_view session_id);

    std::chrono::seconds lifetime() const { return lifetime_; }

  private:
    TtlStore& store_;
    std::chrono::seconds lifetime_;
};

}  // namespace sithsd::protocol
