#pragma once
// The attest portal's orders (fictitious) and their signing requests: the server decides what is
// signed (the order as JSON, with a fresh request id) and what the person is shown (displayText);
// the page only carries them to sithsd and brings the CMS back.

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sithsd::portal {

struct Order {
    std::string id;       // "VMU3000096"
    std::string service;  // "Statistik VE"
    std::string unit;     // "K3 Barn och Kvinna"
    std::string requested_for;
    std::string status;       // "Väntar på attest" | "Attesterad"
    std::string attested_by;  // "Tolvan Tolvansson (SE5560000001-P000000000001)"
    std::string attested_at;  // RFC 3339 signingTime of the CMS
};

boost::json::object to_json(const Order& order);

struct SigningRequest {
    std::string display_text;
    std::vector<std::uint8_t> data;  // what is signed: the order as JSON
};

class OrderBook {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::minutes request_lifetime{5};

    OrderBook();
    std::vector<Order> list();
    std::optional<Order> find(const std::string& id);
    // A new signing request for an order waiting for attest (replaces an earlier one).
    std::optional<SigningRequest> prepare(const std::string& id);
    // The pending request of the order, taken (single use); nullopt when none or too old.
    std::optional<SigningRequest> take_request(const std::string& id);
    void mark_attested(const std::string& id, const std::string& by, const std::string& at);

  private:
    struct Pending {
        SigningRequest request;
        Clock::time_point made;
    };
    std::mutex mutex_;
    std::vector<Order> orders_;
    std::map<std::string, Pending> pending_;
};

}  // namespace sithsd::portal
