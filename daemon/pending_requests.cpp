#include "daemon/pending_requests.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/serialize.hpp>

namespace sithsd::daemon {

namespace {

std::string id_key(const protocol::Id& id) {
    return boost::json::serialize(id);
}

}  // namespace

bool PendingRequest::answer_result(const boost::json::value& result) {
    if (!claim()) return false;
    send_result(result);
    return true;
}

bool PendingRequest::answer_error(const protocol::ProtocolError& error) {
    if (!claim()) return false;
    send_error(error);
    return true;
}

void PendingRequest::send_result(const boost::json::value& result) {
    connection_->send(protocol::serialize_result(id_, result));
    release();
    log_answer("ok");
}

void PendingRequest::send_error(const protocol::ProtocolError& error) {
    answered_with_ = error.code;
    connection_->send(protocol::serialize_error(id_, error));
    release();
    log_answer(protocol::reason_name(error.code));
}

void PendingRequest::set_card(std::string card_id) {
    std::lock_guard lock(card_mutex_);
    card_id_ = std::move(card_id);
}

std::string PendingRequest::card() const {
    std::lock_guard lock(card_mutex_);
    return card_id_;
}

void PendingRequest::log_answer(std::string_view outcome) const {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - received_)
                        .count();
    spdlog::info("{} from {}: {} in {} ms", method_, peer_.requester(), outcome, ms);
}

void PendingRequest::release() {
    if (registry_) registry_->untrack(*this);
}

void PendingRequests::open(std::shared_ptr<Connection> connection) {
    std::lock_guard lock(mutex_);
    auto& client = clients_[connection->id()];
    client.peer = connection->peer();
    client.known = client.peer.transport == Transport::websocket;
    client.connection = std::move(connection);
}

void PendingRequests::heard_from(std::uint64_t connection_id) {
    std::lock_guard lock(mutex_);
    if (auto it = clients_.find(connection_id); it != clients_.end()) it->second.known = true;
}

bool PendingRequests::greet(std::uint64_t connection_id,
                            const std::function<bool(const Peer&)>& allowed) {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(connection_id);
    if (it == clients_.end() || !it->second.known || it->second.greeted) return false;
    if (!allowed(it->second.peer)) return false;
    it->second.greeted = true;
    return true;
}

Peer PendingRequests::peer(const Connection& connection) const {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(connection.id());
    return it == clients_.end() ? connection.peer() : it->second.peer;
}

bool PendingRequests::introduce(std::uint64_t connection_id, Peer peer) {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(connection_id);
    if (it == clients_.end()) return false;
    it->second.peer = std::move(peer);
    return true;
}

std::shared_ptr<PendingRequest> PendingRequests::untracked(
    const std::shared_ptr<Connection>& connection, const protocol::Id& id,
    std::string method) const {
    return std::make_shared<PendingRequest>(connection, peer(*connection), id, std::move(method));
}

std::vector<std::shared_ptr<PendingRequest>> PendingRequests::close(std::uint64_t connection_id) {
    std::vector<std::shared_ptr<PendingRequest>> out;
    std::lock_guard lock(mutex_);
    auto it = clients_.find(connection_id);
    if (it == clients_.end()) return out;
    for (auto& [id, request] : it->second.pending) out.push_back(request);
    clients_.erase(it);
    return out;
}

std::shared_ptr<PendingRequest> PendingRequests::track(
    const std::shared_ptr<Connection>& connection, const protocol::Id& id, std::string method) {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(connection->id());
    auto request = std::make_shared<PendingRequest>(
        connection, it == clients_.end() ? connection->peer() : it->second.peer, id,
        std::move(method));
    if (it != clients_.end()) {
        it->second.pending[id_key(id)] = request;
        request->registry_ = this;
    }
    return request;
}

void PendingRequests::untrack(const PendingRequest& request) {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(request.connection()->id());
    if (it == clients_.end()) return;
    auto p = it->second.pending.find(id_key(request.id()));
    if (p != it->second.pending.end() && p->second.get() == &request) it->second.pending.erase(p);
}

std::shared_ptr<PendingRequest> PendingRequests::find(std::uint64_t connection_id,
                                                      const protocol::Id& id) const {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(connection_id);
    if (it == clients_.end()) return nullptr;
    auto p = it->second.pending.find(id_key(id));
    return p == it->second.pending.end() ? nullptr : p->second;
}

std::vector<std::shared_ptr<PendingRequest>> PendingRequests::shut_down() {
    std::vector<std::shared_ptr<PendingRequest>> out;
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    for (auto& [cid, client] : clients_)
        for (auto& [id, request] : client.pending) out.push_back(request);
    return out;
}

std::vector<std::shared_ptr<PendingRequest>> PendingRequests::waiting_for(
    const std::vector<std::string>& card_ids) const {
    std::vector<std::shared_ptr<PendingRequest>> out;
    std::lock_guard lock(mutex_);
    for (const auto& [cid, client] : clients_)
        for (const auto& [id, request] : client.pending)
            if (std::find(card_ids.begin(), card_ids.end(), request->card()) != card_ids.end())
                out.push_back(request);
    return out;
}

bool PendingRequests::shutting_down() const {
    std::lock_guard lock(mutex_);
    return shutting_down_;
}

std::vector<std::pair<std::shared_ptr<Connection>, Peer>> PendingRequests::known_connections()
    const {
    std::vector<std::pair<std::shared_ptr<Connection>, Peer>> out;
    std::lock_guard lock(mutex_);
    for (const auto& [id, client] : clients_)
        if (client.known) out.emplace_back(client.connection, client.peer);
    return out;
}

std::size_t PendingRequests::connection_count() const {
    std::lock_guard lock(mutex_);
    return clients_.size();
}

}  // namespace sithsd::daemon
