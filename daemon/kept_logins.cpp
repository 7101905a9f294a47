#include "daemon/kept_logins.hpp"

#include <algorithm>
#include <utility>

namespace sithsd::daemon {

void KeptLogins::keep(const std::string& card_id, LoginHolder holder, TimePoint until) {
    kept_[card_id] = Kept{until, {std::move(holder)}};
}

void KeptLogins::forget(const std::string& card_id) {
    kept_.erase(card_id);
}

bool KeptLogins::share(const std::string& card_id, LoginHolder holder) {
    auto found = kept_.find(card_id);
    if (found == kept_.end()) return false;
    if (!serves(card_id, holder.scope)) found->second.holders.push_back(std::move(holder));
    return true;
}

bool KeptLogins::serves(const std::string& card_id, std::string_view scope) const {
    auto found = kept_.find(card_id);
    return found != kept_.end() &&
           std::any_of(found->second.holders.begin(), found->second.holders.end(),
                       [scope](const LoginHolder& h) { return h.scope == scope; });
}

std::vector<LoginHolder> KeptLogins::holders(const std::string& card_id) const {
    auto found = kept_.find(card_id);
    return found == kept_.end() ? std::vector<LoginHolder>{} : found->second.holders;
}

std::optional<KeptLogins::TimePoint> KeptLogins::next_end() const {
    std::optional<TimePoint> first;
    for (const auto& [card, kept] : kept_)
        if (!first || kept.until < *first) first = kept.until;
    return first;
}

std::vector<std::string> KeptLogins::take_ended(TimePoint now) {
    std::vector<std::string> ended;
    for (auto it = kept_.begin(); it != kept_.end();) {
        if (it->second.until <= now) {
            ended.push_back(it->first);
            it = kept_.erase(it);
        } else {
            ++it;
        }
    }
    return ended;
}

void KeptLogins::forget_unless(const std::function<bool(const std::string& card_id)>& present) {
    std::erase_if(kept_, [&](const auto& entry) { return !present(entry.first); });
}

}  // namespace sithsd::daemon
