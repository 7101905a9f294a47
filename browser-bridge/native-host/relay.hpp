// The host's relay between the extension and the user's sithsd. The extension sends envelopes
//   {"channel": "…", "origin": "https://…", "message": {JSON-RPC request}}   and
//   {"channel": "…", "close": true}
// where a channel is one page (a frame's port in the extension) and the origin is what the
// browser told the extension (sender.origin). Each channel gets its own daemon connection,
// introduced as that origin, so ids and `cancel` work as on a page's WebSocket. The host sends
//   {"channel": "…", "message": {answer or notification}}   and   {"channel": "…", "closed": true}
// (the daemon went away; pending requests have been answered with NOT_RUNNING). Nothing the daemon
// sends before its answer to `introduce` reaches the page: until then the connection was a local
// program's.
// One thread: the caller polls stdin and handles() and calls in here; nothing blocks without a
// deadline (connect, introduce and sends are bounded; reads happen only when poll() says so).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/local_client.hpp"

namespace sithsd::native_host {

struct RelaySettings {
    std::filesystem::path socket_path;
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds introduce_timeout{5000};
    std::chrono::milliseconds send_timeout{5000};
    // Channels are counted as the daemon counts WebSockets (PROTOCOL.md "Connection budgets"):
    // those of origins without consent apart, so that a page full of frames of such an origin
    // cannot take the places of an allowed portal. A channel stays where it was counted when its
    // origin is allowed later (as a WebSocket does); its next page gets the allowed budget.
    std::size_t max_allowed_channels = 64;
    std::size_t max_unconsented_channels = 32;
    std::size_t max_pending_per_channel = 64;
    std::size_t max_channel_name = 128;
    std::size_t max_origin = 512;
};

// Errors the host answers itself (docs/PROTOCOL.md "The native-messaging host").
inline constexpr std::int64_t host_error_code = -32000;

// A JSON-RPC error answer for `id` (null when unknown).
boost::json::object error_answer(const boost::json::value& id, std::int64_t code,
                                 std::string_view reason, std::string_view message);

class Relay {
  public:
    using Outbox = std::function<void(const boost::json::object& envelope)>;

    Relay(RelaySettings settings, Outbox outbox)
        : settings_(std::move(settings)), outbox_(std::move(outbox)) {}

    // One message from the extension (a frame's body). Answers bad ones with an error.
    void from_extension(std::string_view body);

    // The daemon connections to poll for input.
    [[nodiscard]] std::vector<int> handles() const;
    // Reads and forwards what the daemon sent on `handle` (after poll() showed it readable).
    void from_daemon(int handle);
    // Forwards lines already read into a client's buffer (poll() does not show them).
    void forward_buffered();

    [[nodiscard]] std::size_t channel_count() const { return channels_.size(); }
    // The channels in one budget: those of allowed origins, or those of origins without consent.
    [[nodiscard]] std::size_t channel_count(bool allowed) const;

  private:
    struct Channel {
        std::string origin;
        daemon::LocalClient client;
        bool allowed = false;           // counted in the allowed origins' budget
        std::set<std::string> pending;  // serialized ids sent and not yet answered
    };

    void answer(const boost::json::value& channel, boost::json::object message);
    // The channel's connection, opened and introduced when new; nullptr after answering an error.
    Channel* open_channel(const std::string& name, const std::string& origin,
                          const boost::json::value& id);
    void forward(const std::string& name, Channel& channel, boost::json::value message);
    // Reads one channel until nothing complete is left; drops it when the daemon is gone.
    void drain(std::map<std::string, Channel>::iterator it);
    void lose(std::map<std::string, Channel>::iterator it, std::string_view why);

    RelaySettings settings_;
    Outbox outbox_;
    std::map<std::string, Channel> channels_;
};

}  // namespace sithsd::native_host
