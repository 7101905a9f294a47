#include "daemon/pending_requests.hpp"

#include <boost/json/serialize.hpp>

namespace sithsd::daemon {

namespace {

std::string id_key(const protocol::Id& id) {
    return boost::json::serialize(id);
}

}  // namespace

bool PendingRequest::answer_result(const boost::json::value& result) {
    if (answered_.exchange(true)) return false;
    connection_->send(protocol::serialize_result(id_, result));
    release();
    return true;
}

bool PendingRequest::answer_error(const protocol::ProtocolError& error) {
    if (answered_.exchange(true)) return false;
    answered_with_ = error.code;
    connection_->send(protocol::serialize_error(id_, error));
    release();
    return true;
}

void PendingRequest::release() {
    if (registry_) registry_->untrack(*this);
}

void PendingRequests::open(std::shared_ptr<Connection> connection) {
    std::lock_guard lock(mutex_);
    clients_[connection->id()].connection = std::move(connection);
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
    auto request = std::make_shared<PendingRequest>(connection, id, std::move(method));
    std::lock_guard lock(mutex_);
    auto it = clients_.find(connection->id());
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

bool PendingRequests::shutting_down() const {
    std::lock_guard lock(mutex_);
    return shutting_down_;
}

std::vector<std::shared_ptr<Connection>> PendingRequests::connections() const {
    std::vector<std::shared_ptr<Connection>> out;
    std::lock_guard lock(mutex_);
    for (const auto& [id, client] : clients_) out.push_back(client.connection);
    return out;
}

std::size_t PendingRequests::connection_count() const {
    std::lock_guard lock(mutex_);
    return clients_.size();
}

}  // namespace sithsd::daemon
