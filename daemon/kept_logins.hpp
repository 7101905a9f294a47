#pragma once
// The identification PIN cache's book: per card, until when its kept login lasts and whom it
// serves (PROTOCOL.md "The identification PIN cache"). A login kept for one requester serves that
// requester only; another is added only when the person said so. Not thread-safe: CardService
// holds its lock around every call.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/cards.hpp"

namespace sithsd::daemon {

class KeptLogins {
  public:
    using TimePoint = std::chrono::steady_clock::time_point;

    // A fresh login kept for `holder` alone until `until` (what the card kept before is gone).
    void keep(const std::string& card_id, LoginHolder holder, TimePoint until);
    // The card's login is gone (a fresh login without keeping, a PIN change, the token forgot it).
    void forget(const std::string& card_id);
    // Adds a requester to the card's kept login; false when none is kept.
    bool share(const std::string& card_id, LoginHolder holder);

    [[nodiscard]] bool serves(const std::string& card_id, std::string_view scope) const;
    // The holders, the one who typed the PIN first; empty when none is kept.
    [[nodiscard]] std::vector<LoginHolder> holders(const std::string& card_id) const;
    [[nodiscard]] bool empty() const { return kept_.empty(); }
    // When the next kept login ends; nullopt when none is kept.
    [[nodiscard]] std::optional<TimePoint> next_end() const;

    // The cards whose kept login has ended by `now`, removed from the book.
    std::vector<std::string> take_ended(TimePoint now);
    // Removes the cards for which `present` says false (their logins went with them).
    void forget_unless(const std::function<bool(const std::string& card_id)>& present);

  private:
    struct Kept {
        TimePoint until;
        std::vector<LoginHolder> holders;
    };
    std::map<std::string, Kept> kept_;  // card id -> its kept login
};

}  // namespace sithsd::daemon
