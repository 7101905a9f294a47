#pragma once
// The JSON-RPC dispatcher: every message from every transport comes here and is answered exactly
// once. What a method needs (who may call it, consent, rate limit, params) comes from the method
// table (protocol/method_table.hpp); its handler is in daemon/methods/. The dispatcher keeps the
// clients and their pending requests, so that a cancel, a client that goes away or the daemon's
// shutdown answers each of them once, and sends the notifications.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "daemon/card_service.hpp"
#include "daemon/config.hpp"
#include "daemon/connection.hpp"
#include "daemon/methods/card_job.hpp"
#include "daemon/methods/services.hpp"
#include "daemon/origin_gate.hpp"
#include "daemon/origin_policy.hpp"
#include "daemon/pending_requests.hpp"
#include "daemon/periodic_timer.hpp"
#include "daemon/rate_limiter.hpp"
#include "protocol/jsonrpc.hpp"

namespace sithsd::daemon {

class Dispatcher : public MessageHandler {
  public:
    Dispatcher(const Config& config, OriginPolicy policy, Cards& cards, Prompts& prompts,
               Audit& audit, ConsentStore& consent, const Clock& clock);
    ~Dispatcher() override = default;

    void on_open(std::shared_ptr<Connection> connection) override;
    void on_message(std::shared_ptr<Connection> connection, std::string text) override;
    void on_close(std::shared_ptr<Connection> connection) override;
    void on_shutdown() override;

    // Before serving: whether systemd's socket unit started the daemon (`status` says so).
    void set_socket_activated(bool activated) { services_.socket_activated = activated; }
    [[nodiscard]] bool origin_allowed(const Peer& peer) const override {
        return gate_.allowed(peer);
    }

    // From CardService: a card came or went. cardsChanged to every allowed client, and
    // certificateExpiring for the certificates that just arrived.
    void on_cards_changed(const std::vector<pkcs11::CardInfo>& before,
                          const std::vector<pkcs11::CardInfo>& cards);

  private:
    void dispatch(const std::shared_ptr<Connection>& connection, protocol::Request request);
    // The connect-time notifications, once the connection's peer is known and allowed.
    void greet(const std::shared_ptr<Connection>& connection);
    void greet_all();
    // The clients whose origin may hear about the cards.
    std::vector<std::shared_ptr<Connection>> allowed_clients() const;
    void daily_round();

    const Config& config_;
    const OriginPolicy policy_;
    Cards& cards_;
    PendingRequests pending_;
    CardJobRunner jobs_;
    Services services_;
    OriginGate gate_;
    // authenticate and sign from one web origin: rate_limit_per_minute (a person signs far fewer).
    RateLimiter rate_limiter_;
    PeriodicTimer daily_;  // last: its thread calls daily_round() on the members above
};

}  // namespace sithsd::daemon
