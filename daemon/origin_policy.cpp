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

}  // namespace sithsd::daemon
