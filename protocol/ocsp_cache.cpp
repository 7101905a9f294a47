#include "protocol/ocsp_cache.hpp"

#include <algorithm>

namespace sithsd::protocol {
namespace {

constexpr std::string_view kPrefix = "sithsd:ocsp:";
constexpr std::string_view kGood = "good";
constexpr std::string_view kNotGood = "not-good:";

std::string key_of(std::string_view cert_key) {
    return std::string(kPrefix) + std::string(cert_key);
}

}  // namespace

OcspCache::OcspCache(TtlStore& store, std::chrono::seconds max_age,
                     std::function<SystemClock::time_point()> now)
    : store_(store), max_age_(max_age), now_(std::move(now)) {}

std::optional<OcspVerdict> OcspCache::find(std::string_view cert_key) {
    std::optional<std::string> value;
    try {
        value = store_.get(key_of(cert_key));
    } catch (const StoreUnavailable&) {
        ++store_failures_;
        return std::nullopt;
    }
    if (!value) return std::nullopt;
    if (*value == kGood) {
        ++hits_;
        return OcspVerdict{true, {}};
    }
    if (value->starts_with(kNotGood)) {
        ++hits_;
        return OcspVerdict{false, value->substr(kNotGood.size()) + " (remembered)"};
    }
    return std::nullopt;  // not written by us: ask the responder
}

void OcspCache::remember(std::string_view cert_key, const OcspVerdict& verdict,
                         std::optional<SystemClock::time_point> next_update) {
    if (!next_update) return;
    const auto left = std::chrono::duration_cast<std::chrono::seconds>(*next_update - now_());
    const auto ttl = std::min(left, max_age_);
    if (ttl < std::chrono::seconds(1)) return;
    const std::string value =
        verdict.good ? std::string(kGood) : std::string(kNotGood) + verdict.detail;
    try {
        store_.put(key_of(cert_key), value, ttl);
    } catch (const StoreUnavailable&) {
        ++store_failures_;
    }
}

}  // namespace sithsd::protocol
