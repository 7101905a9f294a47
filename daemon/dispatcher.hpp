#pragma once
// The JSON-RPC dispatcher: every message from either transport comes here, is parsed by protocol/
// and answered exactly once. Card work runs on the card's queue (CardService), never on a network
// thread. Pending requests are tracked so that a cancel, a client that goes away, or the daemon's
// shutdown answers each of them once.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "daemon/audit_log.hpp"
#include "daemon/card_service.hpp"
#include "daemon/config.hpp"
#include "daemon/connection.hpp"
#include "daemon/consent_store.hpp"
#include "daemon/origin_policy.hpp"
#include "daemon/prompt.hpp"
#include "daemon/prompt_texts.hpp"
#include "daemon/rate_limiter.hpp"
#include "protocol/errors.hpp"
#include "protocol/jsonrpc.hpp"
#include "protocol/requests.hpp"

namespace sithsd::daemon {

// One request that is waiting for the card or the person. answer() sends at most once.
class PendingRequest {
  public:
    PendingRequest(std::shared_ptr<Connection> connection, protocol::Id id, std::string method)
        : connection_(std::move(connection)), id_(std::move(id)), method_(std::move(method)) {}

    // Sends the result or error unless something already answered; true when this one did.
    bool answer_result(const boost::json::value& result);
    bool answer_error(const protocol::ProtocolError& error);
    bool answered() const { return answered_; }
    // The error it was answered with (USER_CANCELLED, SHUTTING_DOWN, …), for the audit line.
    protocol::ErrorCode answered_with() const { return answered_with_; }
    // Closes the prompt this request waits on (cancel, client gone, shutdown).
    void cancel_prompt();
    CancelToken& cancel_token() { return cancel_; }

    const protocol::Id& id() const { return id_; }
    const std::string& method() const { return method_; }
    const std::shared_ptr<Connection>& connection() const { return connection_; }

  private:
    std::shared_ptr<Connection> connection_;
    protocol::Id id_;
    std::string method_;
    std::atomic<bool> answered_{false};
    std::atomic<protocol::ErrorCode> answered_with_{protocol::ErrorCode::UserCancelled};
    CancelToken cancel_;
};

class Dispatcher : public MessageHandler {
  public:
    Dispatcher(const Config& config, OriginPolicy policy, CardService& cards, Prompter& prompter,
               AuditLog& audit, ConsentStore& consent);
    ~Dispatcher() override;

    void on_open(std::shared_ptr<Connection> connection) override;
    void on_message(std::shared_ptr<Connection> connection, std::string text) override;
    void on_close(std::shared_ptr<Connection> connection) override;
    void on_shutdown() override;

    // From CardService: a card came or went. cardsChanged to every allowed client, and
    // certificateExpiring for the certificates that just arrived.
    void on_cards_changed(const std::vector<pkcs11::CardInfo>& before,
                          const std::vector<pkcs11::CardInfo>& cards);

  private:
    struct Client {
        std::shared_ptr<Connection> connection;
        std::map<std::string, std::shared_ptr<PendingRequest>> pending;  // serialized id -> request
    };

    void dispatch(const std::shared_ptr<Connection>& connection, protocol::Request request);
    boost::json::value hello(const Peer& peer) const;
    boost::json::value list_certificates(const protocol::ListCertificatesParams& params) const;
    boost::json::value status() const;
    void cancel(const std::shared_ptr<Connection>& connection, const protocol::Request& request);
    void authenticate(const std::shared_ptr<PendingRequest>& pending, const Peer& peer,
                      const boost::json::object& params);
    void sign(const std::shared_ptr<PendingRequest>& pending, const Peer& peer,
              const boost::json::object& params);
    void pin_management(const std::shared_ptr<PendingRequest>& pending, const Peer& peer,
                        const protocol::Request& request);

    // The origin (or local program) a prompt names.
    std::string requester(const Peer& peer, const std::string& origin) const;
    // Allowed by the config, or by the person earlier (consent store); the Unix socket always.
    bool origin_allowed(const Peer& peer) const;
    // Asks the person about an unknown origin (one prompt at a time), then dispatches again.
    void ask_consent(const std::shared_ptr<Connection>& connection, protocol::Request request);
    // Writes the audit line, then answers (PROTOCOL.md: flushed before the answer is sent).
    void finish(const std::shared_ptr<PendingRequest>& pending, AuditEntry entry,
                const boost::json::value* result, const protocol::ProtocolError* error);
    std::shared_ptr<PendingRequest> track(const std::shared_ptr<Connection>& connection,
                                          const protocol::Request& request);
    void untrack(const std::shared_ptr<PendingRequest>& pending);
    // certificateExpiring for every certificate within 90 days; only_thresholds: on the days it
    // crosses 90, 30 and in the last week (the daily round); only: just these certificates.
    void send_expiring(const std::shared_ptr<Connection>& connection, bool only_thresholds,
                       const std::set<std::string>* only = nullptr);
    void expiry_loop();
    // The identification PIN cache: log the card out identification_pin_cache seconds from now.
    void schedule_logout(const std::string& card_id);
    template <class Body>
    void run_card_job(const std::shared_ptr<PendingRequest>& pending, AuditEntry entry, Body body);
    void ask_pin(const std::shared_ptr<PendingRequest>& pending, const PinPromptFacts& facts,
                 bool pin_pad, pkcs11::Secret& pin, std::unique_ptr<PromptMessage>& pad_message);

    const Config& config_;
    OriginPolicy policy_;
    CardService& cards_;
    Prompter& prompter_;
    AuditLog& audit_;
    ConsentStore& consent_;
    SerialQueue consent_queue_{64};  // consent prompts, one at a time
    // authenticate and sign from one web origin: at most rate_limit_per_minute (default 120).
    RateLimiter rate_limiter_{config_.rate_limit_per_minute, std::chrono::minutes(1)};
    const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

    mutable std::mutex mutex_;
    std::map<std::uint64_t, Client> clients_;
    bool shutting_down_ = false;

    std::map<std::string, std::chrono::steady_clock::time_point>
        logout_at_;  // card -> end of kept login
    std::condition_variable expiry_wake_;
    bool expiry_stop_ = false;
    std::thread expiry_thread_;
};

}  // namespace sithsd::daemon
