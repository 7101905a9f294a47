#include "daemon/origin_policy.hpp"

namespace sithsd::daemon {

std::string_view to_string(OriginStatus status) {
    switch (status) {
        case OriginStatus::allowed:
            return "allowed";
        case OriginStatus::unknown:
            return "unknown";
        case OriginStatus::denied:
            return "denied";
    }
    return "unknown";
}

OriginStatus OriginPolicy::status(const protocol::Origin& origin) const {
    if (denied_.matches(origin)) return OriginStatus::denied;
    if (allowed_.matches(origin)) return OriginStatus::allowed;
    return OriginStatus::unknown;
}

std::optional<std::string> OriginPolicy::refusal(const protocol::Origin& origin) const {
    const std::string serialized = origin.serialize();
    const OriginStatus s = status(origin);
    if (s == OriginStatus::denied) return "Origin " + serialized + " is on the deny list";
    if (origin.scheme != "https" && s != OriginStatus::allowed)
        return "Origin " + serialized + " is not https and not on the allow list";
    if (s == OriginStatus::unknown && !prompt_unknown_)
        return "Origin " + serialized +
               " is not on the allow list (prompt_unknown_origins = false)";
    return std::nullopt;
}

}  // namespace sithsd::daemon
