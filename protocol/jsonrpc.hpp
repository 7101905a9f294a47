#pragma once
// JSON-RPC 2.0 messages (https://www.jsonrpc.org/specification) as PROTOCOL.md uses them:
// one message per frame or line, no batches, ids that are strings, numbers or null.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/errors.hpp"

namespace sithsd::protocol {

inline constexpr std::size_t kMaxMessageBytes = std::size_t{1024} * 1024;  // as the WebSocket frame limit
inline constexpr std::size_t kMaxJsonDepth = 32;

// A request id: a JSON string, number or null (held as the JSON value itself).
using Id = boost::json::value;

struct Request {
    std::optional<Id> id;  // no value: a notification (the client expects no answer)
    std::string method;
    boost::json::object params;  // empty when the message had none

    bool is_notification() const { return !id.has_value(); }
};

// What parse_message gives: a request to dispatch, or the error response text to send back
// (with the message's id when it could be read, else id null, as JSON-RPC 2.0 section 5 says).
struct InvalidMessage {
    std::string response;  // empty: send nothing (a well-formed notification with bad params)
};
using ParsedMessage = std::variant<Request, InvalidMessage>;

ParsedMessage parse_message(std::string_view text);

// Response texts.
std::string serialize_result(const Id& id, const boost::json::value& result);
std::string serialize_error(const Id& id, const ProtocolError& error);
std::string serialize_notification(std::string_view method, const boost::json::object& params);

// The error object {"code","message","data":{"reason",...}} alone.
boost::json::object error_object(const ProtocolError& error);

}  // namespace sithsd::protocol
