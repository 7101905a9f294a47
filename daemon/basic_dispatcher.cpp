#include "daemon/basic_dispatcher.hpp"

#include <boost/json.hpp>

namespace sithsd::daemon {
namespace {

namespace json = boost::json;

std::string error_response(const json::value& id, int code, std::string_view reason,
                           std::string_view message) {
    json::object error{{"code", code}, {"message", message}, {"data", {{"reason", reason}}}};
    return json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"error", error}});
}

std::string invalid_request(const json::value& id, std::string_view message) {
    return error_response(id, -32600, "INVALID_REQUEST", message);
}

bool valid_id(const json::value& id) {
    return id.is_string() || id.is_int64() || id.is_uint64() || id.is_double() || id.is_null();
}

}  // namespace

std::optional<std::string> BasicDispatcher::handle(const Peer& peer, std::string_view text) const {
    json::parse_options options;
    options.max_depth = 32;  // deeper documents are refused, not recursed into
    std::error_code ec;
    json::value message = json::parse(text, ec, {}, options);
    if (ec) {
        std::string why = ec == json::error::too_deep ? "Parse error: nesting deeper than 32 levels"
                                                      : "Parse error: not valid JSON";
        return error_response(nullptr, -32700, "PARSE_ERROR", why);
    }
    if (message.is_array()) return invalid_request(nullptr, "Batch requests are not supported");
    if (!message.is_object()) return invalid_request(nullptr, "A request must be a JSON object");
    const json::object& request = message.as_object();

    const json::value* id = request.if_contains("id");
    if (id && !valid_id(*id)) return invalid_request(nullptr, "id must be a string or a number");
    const json::value reply_id = id ? *id : json::value(nullptr);
    const json::value* version = request.if_contains("jsonrpc");
    if (!version || !version->is_string() || version->as_string() != "2.0")
        return invalid_request(reply_id, "jsonrpc must be \"2.0\"");
    const json::value* method = request.if_contains("method");
    if (!method || !method->is_string())
        return invalid_request(reply_id, "method must be a string");
    const json::value* params = request.if_contains("params");
    if (params && !params->is_object() && !params->is_array())
        return invalid_request(reply_id, "params must be an object or an array");
    if (!id) return std::nullopt;  // a notification: JSON-RPC gives it no response

    if (method->as_string() != "hello")
        return error_response(
            reply_id, -32601, "METHOD_NOT_FOUND",
            "Method not found: " + std::string(method->as_string()).substr(0, 64));

    json::object result;
    result["protocol"] = "sithsd/1";
    result["version"] = SITHSD_VERSION;
    if (peer.transport == Transport::websocket) {
        result["origin"] = peer.origin;
        auto origin = protocol::parse_origin(peer.origin);
        result["originStatus"] = origin ? to_string(policy_.status(*origin)) : "unknown";
        result["transport"] = "websocket";
    } else {
        result["origin"] = nullptr;  // a local program has no origin; it names one per request
        result["originStatus"] = "unknown";
        result["transport"] = "unix";
    }
    result["methods"] = json::array{"hello"};  // what this dispatcher implements
    return json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", *id}, {"result", result}});
}

void BasicDispatcher::on_message(std::shared_ptr<Connection> connection, std::string text) {
    if (auto response = handle(connection->peer(), text)) connection->send(std::move(*response));
}

}  // namespace sithsd::daemon
