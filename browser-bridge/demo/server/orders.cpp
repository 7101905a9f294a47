#include "browser-bridge/demo/server/orders.hpp"

#include <openssl/rand.h>

#include <array>
#include <boost/json/serialize.hpp>

#include "protocol/base64.hpp"

namespace sithsd::portal {

boost::json::object to_json(const Order& order) {
    return {{"id", order.id},
            {"service", order.service},
            {"unit", order.unit},
            {"requestedFor", order.requested_for},
            {"status", order.status},
            {"attestedBy", order.attested_by},
            {"attestedAt", order.attested_at}};
}

OrderBook::OrderBook()
    : orders_{
          {"VMU3000096", "Statistik VE", "K3 Barn och Kvinna", "Ulla Älvsdotter",
           "Väntar på attest", "", ""},
          {"VMU3000097", "Journalutdrag", "Vårdcentralen Åby", "Nils Nyberg", "Väntar på attest",
           "", ""},
      } {}

std::vector<Order> OrderBook::list() {
    std::lock_guard lock(mutex_);
    return orders_;
}

std::optional<Order> OrderBook::find(const std::string& id) {
    std::lock_guard lock(mutex_);
    for (const auto& order : orders_) {
        if (order.id == id) return order;
    }
    return std::nullopt;
}

std::optional<SigningRequest> OrderBook::prepare(const std::string& id) {
    const auto order = find(id);
    if (!order || order->status != "Väntar på attest") return std::nullopt;
    // A fresh request id in the signed data: a signature answers this request and no other.
    std::array<std::uint8_t, 16> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) return std::nullopt;
    const boost::json::object signed_json{
        {"order", order->id},    {"service", order->service},
        {"unit", order->unit},   {"requestedFor", order->requested_for},
        {"decision", "Godkänd"}, {"request", protocol::base64url_encode(random)}};
    const std::string text = boost::json::serialize(signed_json);
    SigningRequest request{"Attest av beställning " + order->id + ": " + order->service + ", " +
                               order->unit + ", för " + order->requested_for,
                           std::vector<std::uint8_t>(text.begin(), text.end())};
    std::lock_guard lock(mutex_);
    pending_[id] = Pending{request, Clock::now()};
    return request;
}

std::optional<SigningRequest> OrderBook::take_request(const std::string& id) {
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(id);
    if (it == pending_.end()) return std::nullopt;
    Pending pending = std::move(it->second);
    pending_.erase(it);
    if (Clock::now() - pending.made >= request_lifetime) return std::nullopt;
    return std::move(pending.request);
}

void OrderBook::mark_attested(const std::string& id, const std::string& by, const std::string& at) {
    std::lock_guard lock(mutex_);
    for (auto& order : orders_) {
        if (order.id == id) {
            order.status = "Attesterad";
            order.attested_by = by;
            order.attested_at = at;
        }
    }
}

}  // namespace sithsd::portal
