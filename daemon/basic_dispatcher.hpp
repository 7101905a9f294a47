// A minimal dispatcher for the transport's own tests: `hello` as PROTOCOL.md shows it, and a
// proper JSON-RPC error for everything else. The real dispatcher (consent, cards, prompts)
// replaces it; it answers every request at once, so it never has pending work.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "daemon/connection.hpp"
#include "daemon/origin_policy.hpp"

namespace sithsd::daemon {

class BasicDispatcher : public MessageHandler {
  public:
    explicit BasicDispatcher(OriginPolicy policy) : policy_(std::move(policy)) {}

    // The response to one message, or nullopt for a notification (a request without an id).
    [[nodiscard]] std::optional<std::string> handle(const Peer& peer, std::string_view text) const;

    void on_open(std::shared_ptr<Connection>) override {}
    void on_message(std::shared_ptr<Connection> connection, std::string text) override;
    void on_close(std::shared_ptr<Connection>) override {}  // nothing is ever pending
    void on_shutdown() override {}                          // nothing is ever pending

  private:
    OriginPolicy policy_;
};

}  // namespace sithsd::daemon
