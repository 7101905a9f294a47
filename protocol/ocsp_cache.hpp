#pragma once
// OCSP answers remembered until their nextUpdate (at most `max_age`), so that a portal does not
// ask the responder at every login. In a TtlStore: with Redis, every node of a portal shares them.
// A revoked (or unknown) answer is remembered as well as a good one; a responder that failed is
// never remembered at all (the verifier only hands over answers that passed every check).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/ttl_store.hpp"

namespace sithsd::protocol {

// What a responder said about a certificate, once its answer passed every check.
struct OcspVerdict {
    bool good = false;   // false: revoked, or unknown to the responder
    std::string detail;  // why not good ("revoked at ..."), for logs
};

class OcspCache {
  public:
    using SystemClock = std::chrono::system_clock;
    static constexpr std::chrono::seconds default_max_age{300};

    explicit OcspCache(TtlStore& store, std::chrono::seconds max_age = default_max_age,
                       std::function<SystemClock::time_point()> now = SystemClock::now);

    // The remembered verdict for a certificate (`cert_key`: its OCSP CertID, see the verifier).
    // nullopt when none, or when the store cannot be asked: then the responder is asked, as
    // without a cache.
    std::optional<OcspVerdict> find(std::string_view cert_key);
    // Remembers a verdict until `next_update`, at most max_age from now. An answer without
    // nextUpdate (RFC 6960: newer information is always available) is not remembered.
    void remember(std::string_view cert_key, const OcspVerdict& verdict,
                  std::optional<SystemClock::time_point> next_update);

    std::uint64_t hits() const { return hits_; }
    std::uint64_t store_failures() const { return store_failures_; }

  private:
    TtlStore& store_;
    std::chrono::seconds max_age_;
    std::function<SystemClock::time_point()> now_;
    std::atomic<std::uint64_t> hits_{0};
    std::atomic<std::uint64_t> store_failures_{0};
};

}  // namespace sithsd::protocol
