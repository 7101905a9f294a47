#include "daemon/expiry_notes.hpp"

#include "daemon/card_json.hpp"
#include "protocol/jsonrpc.hpp"

namespace sithsd::daemon {

std::vector<std::string> expiring_notifications(const std::vector<pkcs11::CardInfo>& cards,
                                                std::chrono::system_clock::time_point now,
                                                bool only_thresholds,
                                                const std::set<std::string>* only) {
    std::vector<std::string> notes;
    for (const auto& card : cards) {
        for (const auto& cert : card.certificates) {
            if (only && !only->count(cert.info.certificate_id)) continue;
            const long days = cert.info.days_left(now);
            if (days > 90 || days < 0) continue;
            if (only_thresholds && days != 90 && days != 30 && days > 7) continue;
            notes.push_back(protocol::serialize_notification(
                "certificateExpiring", {{"certificateId", cert.info.certificate_id},
                                        {"notAfter", rfc3339(cert.info.not_after)},
                                        {"daysLeft", days}}));
        }
    }
    return notes;
}

}  // namespace sithsd::daemon
