#pragma once
// Whether a client's origin may use the card (PROTOCOL.md "Origin consent"): an origin a browser
// vouches for is allowed by the config, or by the person, asked once in a CONFIRM (one question at
// a time) with the answer remembered; a local program of the same user always is.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "daemon/audit_log.hpp"
#include "daemon/connection.hpp"
#include "daemon/consent_store.hpp"
#include "daemon/pending_requests.hpp"
#include "daemon/prompt.hpp"
#include "daemon/serial_queue.hpp"

namespace sithsd::daemon {

class OriginGate {
  public:
    OriginGate(std::string language, bool prompt_unknown_origins, Prompts& prompts, Audit& audit,
               ConsentStore& consent)
        : language_(std::move(language)),
          prompt_unknown_(prompt_unknown_origins),
          prompts_(prompts),
          audit_(audit),
          consent_(consent) {}

    [[nodiscard]] bool allowed(const Peer& peer) const;
    // An unknown origin the person has not answered for, with asking switched on.
    [[nodiscard]] bool may_ask(const Peer& peer) const;
    // Asks the person (queued behind other questions). Allowed: calls then(); denied, failed or
    // cancelled: answers the request. Either way the request leaves the pending registry first.
    // One origin per registrable domain may wait for an answer at a time, with at most
    // kQuestionsPerOrigin requests: a page cannot queue prompts for many made-up subdomains of
    // its own site, nor fill the queue for everyone else (BUSY beyond).
    void ask(const std::shared_ptr<PendingRequest>& pending, std::function<void()> then);
    // Runs what is queued (answered by then: the shutdown answered every pending request) and
    // stops asking: a queued question holds its connection, which must go while the transports
    // still exist.
    void stop();

    static constexpr std::size_t kQuestionsPerOrigin = 8;

  private:
    // The origin of a registrable domain whose requests wait for the person, and how many.
    struct Waiting {
        std::string origin;
        std::size_t requests = 0;
    };
    // Takes a place for `origin` in waiting_ (under mutex_); false: BUSY, with the reason.
    bool take_place(const std::string& domain, const std::string& origin, std::string& why);
    void leave_place_locked(const std::string& domain);
    void leave_place(const std::string& domain);

    // The person's answer, remembered and audited; nullopt when there is none to act on.
    std::optional<bool> question(PendingRequest& pending, const std::string& origin);

    const std::string language_;
    const bool prompt_unknown_;
    Prompts& prompts_;
    Audit& audit_;
    ConsentStore& consent_;
    std::mutex mutex_;
    std::map<std::string, Waiting> waiting_;  // by registrable domain
    std::unique_ptr<SerialQueue> questions_ = std::make_unique<SerialQueue>(64);
};

}  // namespace sithsd::daemon
