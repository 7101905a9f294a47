#include "protocol/nonce_store.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>

#include "protocol/base64.hpp"

namespace sithsd::protocol {
namespace {

constexpr std::string_view kPrefix = "sithsd:nonce:";
constexpr int kIssueAttempts = 3;  // a collision of 256 random bits means a broken RNG

std::string key_of(std::string_view nonce) {
    return std::string(kPrefix) + std::string(nonce);
}

std::string random_nonce() {
    std::array<std::uint8_t, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw StoreUnavailable("RAND_bytes failed");
    }
    return base64_encode(bytes);
}

}  // namespace

std::string_view nonce_refusal_name(NonceRefusal r) noexcept {
    return r == NonceRefusal::OtherSession ? "NONCE_MISMATCH" : "NONCE_INVALID";
}

NonceStore::NonceStore(TtlStore& store, std::chrono::seconds lifetime)
    : store_(store), lifetime_(lifetime) {}

std::string NonceStore::issue(std::string_view session_id) {
    for (int attempt = 0; attempt < kIssueAttempts; ++attempt) {
        std::string nonce = random_nonce();
        if (store_.add(key_of(nonce), session_id, lifetime_)) return nonce;
    }
    throw StoreUnavailable("no fresh nonce after several attempts");
}

std::optional<NonceRefusal> NonceStore::consume(std::string_view nonce,
                                                std::string_view session_id) {
    if (nonce.empty()) return NonceRefusal::Unknown;
    auto owner = store_.take(key_of(nonce));
    if (!owner) return NonceRefusal::Unknown;
    if (*owner != session_id) return NonceRefusal::OtherSession;
    return std::nullopt;
}

}  // namespace sithsd::protocol
