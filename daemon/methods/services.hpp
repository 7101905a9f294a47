#pragma once
// What method handlers may use, as narrow interfaces (Cards, Prompts, Audit, Clock): the daemon
// passes the real ones (CardService, Prompter, AuditLog, the system clock); the unit tests pass
// fakes, so that every path of a handler runs without a card, a pinentry or a socket.
#include <chrono>
#include <functional>

#include "daemon/audit_log.hpp"
#include "daemon/cards.hpp"
#include "daemon/prompt.hpp"

namespace sithsd::daemon {

struct Config;
class OriginPolicy;
class CardJobRunner;
class PendingRequests;
struct Peer;

class Clock {
  public:
    virtual ~Clock() = default;
    virtual std::chrono::system_clock::time_point now() const = 0;
};

class SystemClock final : public Clock {
  public:
    std::chrono::system_clock::time_point now() const override {
        return std::chrono::system_clock::now();
    }
};

// Everything a handler reaches, passed by the dispatcher.
struct Services {
    const Config& config;
    const OriginPolicy& policy;
    Cards& cards;
    Prompts& prompts;
    Audit& audit;
    const Clock& clock;
    CardJobRunner& jobs;
    PendingRequests& pending;  // for cancel, and the connection count of status
    std::chrono::system_clock::time_point started;
    bool socket_activated = false;  // started by sithsd.socket (status tells sithsctl doctor)
    // Whether a peer's origin may use the card now: the config, or the person's remembered answer.
    std::function<bool(const Peer&)> origin_allowed = {};
};

}  // namespace sithsd::daemon
