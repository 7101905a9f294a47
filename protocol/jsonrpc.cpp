#include "protocol/jsonrpc.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace sithsd::protocol {
namespace {

InvalidMessage invalid(const Id& id, ErrorCode code, std::string message) {
    return InvalidMessage{serialize_error(id, ProtocolError(code, std::move(message)))};
}

// The largest integer every client's JSON can hold exactly (an IEEE double: JavaScript's number).
constexpr std::int64_t kMaxExactInteger = std::int64_t{1} << 53;

// A string, null, or a number the answer can carry back exactly: 1e400 parses as infinity (which
// has no JSON form), and an integer beyond 2^53 would reach a JavaScript client as another number.
bool valid_id(const boost::json::value& id) {
    if (id.is_string() || id.is_null()) return true;
    if (id.is_int64())
        return id.get_int64() >= -kMaxExactInteger && id.get_int64() <= kMaxExactInteger;
    if (id.is_uint64()) return id.get_uint64() <= static_cast<std::uint64_t>(kMaxExactInteger);
    if (id.is_double())
        return std::isfinite(id.get_double()) &&
               std::abs(id.get_double()) <= static_cast<double>(kMaxExactInteger);
    return false;
}

}  // namespace

ParsedMessage parse_message(std::string_view text) {
    const Id null_id;
    if (text.size() > kMaxMessageBytes) {
        return invalid(null_id, ErrorCode::InvalidRequest, "The message is larger than 1 MiB.");
    }
    boost::json::parse_options options;
    options.max_depth = kMaxJsonDepth;
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(text, ec, {}, options);
    if (ec) return invalid(null_id, ErrorCode::ParseError, "The message is not valid JSON.");
    if (doc.is_array()) {
        return invalid(null_id, ErrorCode::InvalidRequest, "Batch requests are not supported.");
    }
    if (!doc.is_object()) {
        return invalid(null_id, ErrorCode::InvalidRequest, "The message is not a JSON object.");
    }
    boost::json::object& msg = doc.get_object();

    std::optional<Id> id;
    if (const auto* v = msg.if_contains("id")) {
        if (!valid_id(*v)) {
            return invalid(null_id, ErrorCode::InvalidRequest,
                           "The id must be a string, null, or a number within ±2^53.");
        }
        id = *v;
    }
    const Id answer_id = id ? *id : null_id;

    const auto* version = msg.if_contains("jsonrpc");
    if (!version || !version->is_string() || version->get_string() != "2.0") {
        return invalid(answer_id, ErrorCode::InvalidRequest, "jsonrpc must be \"2.0\".");
    }
    const auto* method = msg.if_contains("method");
    if (!method || !method->is_string()) {
        return invalid(answer_id, ErrorCode::InvalidRequest, "method must be a string.");
    }

    Request request;
    request.id = std::move(id);
    request.method = std::string(method->get_string());
    if (auto* params = msg.if_contains("params")) {
        if (params->is_object()) {
            request.params = std::move(params->get_object());
        } else if (params->is_array()) {
            // Allowed by JSON-RPC, but every method here takes named parameters. A valid
            // notification gets no answer, not even an error (JSON-RPC 2.0 section 4.1).
            if (!request.id) return InvalidMessage{};
            return InvalidMessage{
                serialize_error(answer_id, invalid_params("params", "params must be an object."))};
        } else {
            return invalid(answer_id, ErrorCode::InvalidRequest,
                           "params must be an object or an array.");
        }
    }
    return request;
}

boost::json::object error_object(const ProtocolError& error) {
    boost::json::object data = error.data;
    data["reason"] = reason_name(error.code);
    boost::json::object obj;
    obj["code"] = static_cast<int>(error.code);
    obj["message"] =
        error.message.empty() ? std::string(default_message(error.code)) : error.message;
    obj["data"] = std::move(data);
    return obj;
}

std::string serialize_result(const Id& id, const boost::json::value& result) {
    boost::json::object obj;
    obj["jsonrpc"] = "2.0";
    obj["id"] = id;
    obj["result"] = result;
    return boost::json::serialize(obj);
}

std::string serialize_error(const Id& id, const ProtocolError& error) {
    boost::json::object obj;
    obj["jsonrpc"] = "2.0";
    obj["id"] = id;
    obj["error"] = error_object(error);
    return boost::json::serialize(obj);
}

std::string serialize_notification(std::string_view method, const boost::json::object& params) {
    boost::json::object obj;
    obj["jsonrpc"] = "2.0";
    obj["method"] = method;
    obj["params"] = params;
    return boost::json::serialize(obj);
}

}  // namespace sithsd::protocol
