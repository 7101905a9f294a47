#include "browser-bridge/native-host/relay.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace sithsd::native_host {
namespace {

using daemon::LocalClientError;
using std::chrono::milliseconds;

const boost::json::value null_id = nullptr;

// The introduce answer's originStatus: "allowed" when the origin may use the card now (the allow
// list, or the person's remembered answer). Anything else counts as without consent.
bool origin_allowed(const boost::json::value& introduced) {
    const auto* result = introduced.if_object();
    const auto* status = result ? result->if_contains("originStatus") : nullptr;
    return status && status->is_string() && status->as_string() == "allowed";
}

// A field that is a non-empty string of at most `limit` bytes (a channel name, an origin).
bool is_short_text(const boost::json::value* field, std::size_t limit) {
    return field && field->is_string() && !field->as_string().empty() &&
           field->as_string().size() <= limit;
}

// A JSON-RPC id the host can keep and give back: a number or a string.
bool is_request_id(const boost::json::value* id) {
    return id && (id->is_int64() || id->is_uint64() || id->is_string());
}

}  // namespace

boost::json::object error_answer(const boost::json::value& id, std::int64_t code,
                                 std::string_view reason, std::string_view message) {
    return {{"jsonrpc", "2.0"},
            {"id", id},
            {"error", {{"code", code}, {"message", message}, {"data", {{"reason", reason}}}}}};
}

void Relay::answer(const boost::json::value& channel, boost::json::object message) {
    outbox_(boost::json::object{{"channel", channel}, {"message", std::move(message)}});
}

void Relay::from_extension(std::string_view body) {
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(body, ec);
    if (ec || !parsed.is_object())
        return answer(nullptr, error_answer(null_id, -32700, "PARSE_ERROR",
                                            "The host got a message that is not a JSON object."));
    const auto& envelope = parsed.as_object();
    const auto* channel = envelope.if_contains("channel");
    if (!is_short_text(channel, settings_.max_channel_name))
        return answer(nullptr, error_answer(null_id, -32600, "INVALID_REQUEST",
                                            "The host needs a channel name in every message."));
    const std::string name(channel->as_string());
    if (const auto* close = envelope.if_contains("close"); close && close->is_bool()) {
        channels_.erase(name);  // closing the connection cancels the page's pending requests
        return;
    }
    const auto* message = envelope.if_contains("message");
    if (!message || !message->is_object())
        return answer(*channel, error_answer(null_id, -32600, "INVALID_REQUEST",
                                             "The host needs a JSON-RPC request in `message`."));
    const auto& request = message->as_object();
    const auto* id = request.if_contains("id");
    if (!is_request_id(id))
        return answer(*channel, error_answer(null_id, -32600, "INVALID_REQUEST",
                                             "Every request needs a number or string id."));
    const auto* origin = envelope.if_contains("origin");
    if (!is_short_text(origin, settings_.max_origin))
        return answer(*channel, error_answer(*id, -32600, "INVALID_REQUEST",
                                             "The host needs the page's origin."));
    Channel* open = open_channel(name, std::string(origin->as_string()), *id);
    if (!open) return;
    const std::string key = boost::json::serialize(*id);
    if (open->pending.size() >= settings_.max_pending_per_channel && !open->pending.contains(key))
        return answer(*channel, error_answer(*id, 1010, "BUSY",
                                             "Too many requests from this page are waiting."));
    try {
        open->client.send(*message, settings_.send_timeout);
        open->pending.insert(key);
    } catch (const LocalClientError& e) {
        answer(*channel, error_answer(*id, host_error_code, "NOT_RUNNING",
                                      std::string("sithsd is not running: ") + e.what()));
        lose(channels_.find(name), e.what());
    }
}

std::size_t Relay::channel_count(bool allowed) const {
    return static_cast<std::size_t>(
        std::count_if(channels_.begin(), channels_.end(),
                      [&](const auto& c) { return c.second.allowed == allowed; }));
}

Relay::Channel* Relay::open_channel(const std::string& name, const std::string& origin,
                                    const boost::json::value& id) {
    const boost::json::value channel(name);
    if (auto it = channels_.find(name); it != channels_.end()) {
        if (it->second.origin == origin) return &it->second;
        answer(channel, error_answer(id, -32600, "INVALID_REQUEST",
                                     "A channel keeps the origin it was opened with."));
        return nullptr;
    }
    if (channel_count(true) >= settings_.max_allowed_channels &&
        channel_count(false) >= settings_.max_unconsented_channels) {
        answer(channel, error_answer(id, 1010, "BUSY", "Too many pages use sithsd at once."));
        return nullptr;
    }
    try {
        auto client =
            daemon::LocalClient::connect(settings_.socket_path, settings_.connect_timeout);
        // Until the daemon has answered `introduce` this connection is a local program's: what
        // comes before the answer is not for the page.
        client.on_notification([](const daemon::LocalNotification&) {});
        auto introduced = client.call("introduce", {{"as", "extension"}, {"origin", origin}},
                                      settings_.introduce_timeout);
        if (!introduced.ok()) {  // ORIGIN_DENIED and the like: the page hears the daemon's words
            const auto& e = *introduced.error;
            boost::json::object error{{"code", e.code}, {"message", e.message}};
            if (!e.data.is_null()) error["data"] = e.data;
            answer(channel, {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}});
            return nullptr;
        }
        const bool allowed = origin_allowed(introduced.result);
        if (channel_count(allowed) >=
            (allowed ? settings_.max_allowed_channels : settings_.max_unconsented_channels)) {
            answer(channel, error_answer(id, 1010, "BUSY",
                                         allowed ? "Too many pages use sithsd at once."
                                                 : "Too many pages of origins without consent "
                                                   "use sithsd at once."));
            return nullptr;  // the connection closes with `client`
        }
        auto [it, added] = channels_.emplace(name, Channel{origin, std::move(client), allowed, {}});
        return &it->second;
    } catch (const LocalClientError& e) {
        answer(channel, error_answer(id, host_error_code, "NOT_RUNNING",
                                     std::string("sithsd is not running: ") + e.what()));
        return nullptr;
    }
}

std::vector<int> Relay::handles() const {
    std::vector<int> all;
    all.reserve(channels_.size());
    for (const auto& [name, channel] : channels_) all.push_back(channel.client.native_handle());
    return all;
}

void Relay::from_daemon(int handle) {
    for (auto it = channels_.begin(); it != channels_.end(); ++it)
        if (it->second.client.native_handle() == handle) return drain(it);
}

void Relay::forward_buffered() {
    for (auto it = channels_.begin(); it != channels_.end();) {
        auto next = std::next(it);
        if (it->second.client.has_buffered_line()) drain(it);
        it = next;
    }
}

void Relay::drain(std::map<std::string, Channel>::iterator it) {
    try {
        while (auto message = it->second.client.next_message(milliseconds(0)))
            forward(it->first, it->second, std::move(*message));
    } catch (const LocalClientError& e) {
        lose(it, e.what());
    }
}

void Relay::forward(const std::string& name, Channel& channel, boost::json::value message) {
    if (const auto* id = message.as_object().if_contains("id"))
        channel.pending.erase(boost::json::serialize(*id));
    answer(boost::json::value(name), std::move(message.as_object()));
}

void Relay::lose(std::map<std::string, Channel>::iterator it, std::string_view why) {
    if (it == channels_.end()) return;
    const boost::json::value channel(it->first);
    for (const auto& key : it->second.pending)
        answer(channel, error_answer(boost::json::parse(key), host_error_code, "NOT_RUNNING",
                                     "sithsd went away: " + std::string(why)));
    channels_.erase(it);
    outbox_(boost::json::object{{"channel", channel}, {"closed", true}});
}

}  // namespace sithsd::native_host
