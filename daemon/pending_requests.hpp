#pragma once
// The requests that wait for a card or a person, per connection: what a cancel, a client that goes
// away and the daemon's shutdown reach. A request is answered at most once, and leaves the
// registry when it is answered.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/connection.hpp"
#include "daemon/prompt.hpp"
#include "protocol/errors.hpp"
#include "protocol/jsonrpc.hpp"

namespace sithsd::daemon {

class PendingRequests;

class PendingRequest {
  public:
    PendingRequest(std::shared_ptr<Connection> connection, Peer peer, protocol::Id id,
                   std::string method)
        : connection_(std::move(connection)),
          peer_(std::move(peer)),
          id_(std::move(id)),
          method_(std::move(method)) {}

    // Sends the result or error unless something already answered; true when this one did.
    bool answer_result(const boost::json::value& result);
    bool answer_error(const protocol::ProtocolError& error);
    // In two steps, for an answer that must first be audited: claim() makes this caller the one
    // that answers (false when something already did), then send_result or send_error sends it.
    // Between the two, a cancel finds the request answered (so the audit line is the truth).
    bool claim() { return !answered_.exchange(true); }
    void send_result(const boost::json::value& result);
    void send_error(const protocol::ProtocolError& error);
    bool answered() const { return answered_; }
    // The error it was answered with (USER_CANCELLED, SHUTTING_DOWN, …), for the audit line.
    protocol::ErrorCode answered_with() const { return answered_with_; }
    // Closes the prompt this request waits on (cancel, client gone, shutdown).
    void cancel_prompt() { cancel_.cancel(); }
    CancelToken& cancel_token() { return cancel_; }
    // Leaves the registry without an answer (a consent question ended; the request goes on).
    void release();

    const protocol::Id& id() const { return id_; }
    const std::string& method() const { return method_; }
    // Who asked, as the connection was when the request came (see PendingRequests::introduce).
    const Peer& peer() const { return peer_; }
    const std::shared_ptr<Connection>& connection() const { return connection_; }
    // The card it waits for (set when it is queued on a card): its removal ends the request.
    void set_card(std::string card_id);
    std::string card() const;

  private:
    friend class PendingRequests;

    std::shared_ptr<Connection> connection_;
    Peer peer_;
    protocol::Id id_;
    std::string method_;
    // The request's one summary line at info: method, who asked, outcome, milliseconds; never a
    // parameter (no PIN, document or data to sign).
    void log_answer(std::string_view outcome) const;

    std::chrono::steady_clock::time_point received_ = std::chrono::steady_clock::now();
    std::atomic<bool> answered_{false};
    std::atomic<protocol::ErrorCode> answered_with_{protocol::ErrorCode::UserCancelled};
    CancelToken cancel_;
    mutable std::mutex card_mutex_;
    std::string card_id_;
    PendingRequests* registry_ = nullptr;  // set while tracked; outlives every request it tracks
};

class PendingRequests {
  public:
    void open(std::shared_ptr<Connection> connection);
    // The connection is gone: returns its waiting requests (to be answered by the caller).
    std::vector<std::shared_ptr<PendingRequest>> close(std::uint64_t connection_id);
    // A request that is tracked until it is answered or released. Untracked (but still usable)
    // when its connection is already closed.
    std::shared_ptr<PendingRequest> track(const std::shared_ptr<Connection>& connection,
                                          const protocol::Id& id, std::string method);
    // A request answered at once (not tracked), with the connection's current peer.
    std::shared_ptr<PendingRequest> untracked(const std::shared_ptr<Connection>& connection,
                                              const protocol::Id& id, std::string method) const;
    // The connection's peer: as the transport made it, or as `introduce` changed it.
    Peer peer(const Connection& connection) const;
    // A local program says it is the browser extension (for one page origin) or the browser's
    // PKCS#11 module: later requests on this connection act for that. False when gone.
    bool introduce(std::uint64_t connection_id, Peer peer);
    // The connection has sent its first message: from now on its peer is known. A WebSocket is
    // known when it opens; a Unix peer only after its first message, which may be `introduce`
    // (a relay for a page), so that nothing meant for a local program reaches a page's relay.
    void heard_from(std::uint64_t connection_id);
    // True once per connection, when its peer is known and `allowed` says yes: the moment for the
    // connect-time notifications (certificateExpiring).
    bool greet(std::uint64_t connection_id, const std::function<bool(const Peer&)>& allowed);
    std::shared_ptr<PendingRequest> find(std::uint64_t connection_id, const protocol::Id& id) const;
    // From now on shutting_down() is true; returns every waiting request.
    std::vector<std::shared_ptr<PendingRequest>> shut_down();
    // Every waiting request (of every connection) that waits for one of these cards.
    std::vector<std::shared_ptr<PendingRequest>> waiting_for(
        const std::vector<std::string>& card_ids) const;
    bool shutting_down() const;
    struct Client {
        std::shared_ptr<Connection> connection;
        Peer peer;
        std::map<std::string, std::shared_ptr<PendingRequest>> pending;  // serialized id -> request
        bool known = false;                                              // see heard_from()
        bool greeted = false;  // the connect-time notifications went out (see greet())
    };
    // Every open connection whose peer is known, with its peer (notifications go to those whose
    // origin is allowed).
    std::vector<std::pair<std::shared_ptr<Connection>, Peer>> known_connections() const;
    std::size_t connection_count() const;

  private:
    friend class PendingRequest;
    void untrack(const PendingRequest& request);

    mutable std::mutex mutex_;
    std::map<std::uint64_t, Client> clients_;
    bool shutting_down_ = false;
};

}  // namespace sithsd::daemon
