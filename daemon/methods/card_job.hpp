#pragma once
// The one runner of card methods (authenticate, sign, changePin, unblockPin): the job waits on the
// card's queue, and every way it can end (a result, a wire error, a card error, a prompt that
// ended without an answer, an exception, a cancel or shutdown that answered first) becomes one
// audit line and exactly one answer, the line flushed before the answer goes out.
#include <functional>
#include <memory>
#include <string>

#include "daemon/audit_log.hpp"
#include "daemon/cards.hpp"
#include "daemon/pending_requests.hpp"

namespace sithsd::daemon {

class CardJobRunner {
  public:
    CardJobRunner(Cards& cards, Audit& audit) : cards_(cards), audit_(audit) {}

    // Fills the entry's result and returns the answer; throws to fail (see above).
    using Body = std::function<boost::json::value(AuditEntry& entry)>;

    // Queues body on the card's queue (BUSY when it is full).
    void run(const std::shared_ptr<PendingRequest>& pending, AuditEntry entry,
             const std::string& card_id, Body body);
    // Ends a request before it reaches the queue (bad params, no such certificate).
    void fail(const std::shared_ptr<PendingRequest>& pending, AuditEntry entry,
              const protocol::ProtocolError& error);

  private:
    void execute(const std::shared_ptr<PendingRequest>& pending, AuditEntry& entry,
                 const Body& body);
    void finish(const std::shared_ptr<PendingRequest>& pending, AuditEntry& entry,
                const boost::json::value* result, const protocol::ProtocolError* error);

    Cards& cards_;
    Audit& audit_;
};

}  // namespace sithsd::daemon
