#pragma once
// certificateExpiring notifications (PROTOCOL.md): for the certificates within 90 days of their
// end.
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "pkcs11/card_model.hpp"

namespace sithsd::daemon {

// only_thresholds: the daily round, on the days a certificate crosses 90 and 30 days and every day
// of its last week. only: just these certificates (the ones that just arrived).
std::vector<std::string> expiring_notifications(const std::vector<pkcs11::CardInfo>& cards,
                                                std::chrono::system_clock::time_point now,
                                                bool only_thresholds,
                                                const std::set<std::string>* only = nullptr);

}  // namespace sithsd::daemon
