#include "protocol/jsonrpc.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "protocol/requests.hpp"

namespace sithsd::protocol {
namespace {

// The error response of an invalid message, parsed back.
boost::json::object error_of(std::string_view text) {
    auto parsed = parse_message(text);
    EXPECT_TRUE(std::holds_alternative<InvalidMessage>(parsed)) << text;
    if (!std::holds_alternative<InvalidMessage>(parsed)) return {};
    return boost::json::parse(std::get<InvalidMessage>(parsed).response).as_object();
}

int code_of(const boost::json::object& response) {
    return static_cast<int>(response.at("error").at("code").as_int64());
}

TEST(JsonRpc, ParsesARequestWithStringId) {
    auto parsed = parse_message(R"({"jsonrpc":"2.0","id":"a1","method":"hello"})");
    ASSERT_TRUE(std::holds_alternative<Request>(parsed));
    const auto& r = std::get<Request>(parsed);
    EXPECT_EQ(r.method, "hello");
    ASSERT_TRUE(r.id);
    EXPECT_EQ(r.id->as_string(), "a1");
    EXPECT_TRUE(r.params.empty());
    EXPECT_FALSE(r.is_notification());
}

TEST(JsonRpc, ParsesNumberAndNullIdsAndParams) {
    auto parsed = parse_message(R"({"jsonrpc":"2.0","id":7,"method":"sign","params":{"a":1}})");
    ASSERT_TRUE(std::holds_alternative<Request>(parsed));
    EXPECT_EQ(std::get<Request>(parsed).id->as_int64(), 7);
    EXPECT_EQ(std::get<Request>(parsed).params.at("a").as_int64(), 1);
    auto null_id = parse_message(R"({"jsonrpc":"2.0","id":null,"method":"hello"})");
    ASSERT_TRUE(std::holds_alternative<Request>(null_id));
    EXPECT_TRUE(std::get<Request>(null_id).id->is_null());
    auto frac = parse_message(R"({"jsonrpc":"2.0","id":1.5,"method":"hello"})");
    ASSERT_TRUE(std::holds_alternative<Request>(frac));
}

TEST(JsonRpc, NotificationHasNoId) {
    auto parsed = parse_message(R"({"jsonrpc":"2.0","method":"cancel","params":{"id":1}})");
    ASSERT_TRUE(std::holds_alternative<Request>(parsed));
    EXPECT_TRUE(std::get<Request>(parsed).is_notification());
}

TEST(JsonRpc, ParseErrorIsMinus32700WithNullId) {
    auto e = error_of(R"({"jsonrpc":"2.0",)");
    EXPECT_EQ(code_of(e), -32700);
    EXPECT_TRUE(e.at("id").is_null());
    EXPECT_EQ(e.at("error").at("data").at("reason").as_string(), "PARSE_ERROR");
    EXPECT_EQ(e.at("jsonrpc").as_string(), "2.0");
}

TEST(JsonRpc, BatchIsMinus32600WithNullId) {
    auto e = error_of(R"([{"jsonrpc":"2.0","id":1,"method":"hello"}])");
    EXPECT_EQ(code_of(e), -32600);
    EXPECT_TRUE(e.at("id").is_null());
    EXPECT_EQ(code_of(error_of("[]")), -32600);
}

TEST(JsonRpc, InvalidRequestsAreMinus32600) {
    EXPECT_EQ(code_of(error_of(R"("hello")")), -32600);
    EXPECT_EQ(code_of(error_of("42")), -32600);
    // Wrong version keeps the id.
    auto e = error_of(R"({"jsonrpc":"1.0","id":3,"method":"hello"})");
    EXPECT_EQ(code_of(e), -32600);
    EXPECT_EQ(e.at("id").as_int64(), 3);
    EXPECT_EQ(code_of(error_of(R"({"id":3,"method":"hello"})")), -32600);
    EXPECT_EQ(code_of(error_of(R"({"jsonrpc":"2.0","id":3})")), -32600);
    EXPECT_EQ(code_of(error_of(R"({"jsonrpc":"2.0","id":3,"method":5})")), -32600);
    EXPECT_EQ(code_of(error_of(R"({"jsonrpc":"2.0","id":3,"method":"x","params":"s"})")), -32600);
    // An id of the wrong type cannot be echoed: id null.
    auto bad_id = error_of(R"({"jsonrpc":"2.0","id":{"a":1},"method":"hello"})");
    EXPECT_EQ(code_of(bad_id), -32600);
    EXPECT_TRUE(bad_id.at("id").is_null());
    EXPECT_EQ(code_of(error_of(R"({"jsonrpc":"2.0","id":true,"method":"hello"})")), -32600);
}

// An answer must carry the id back exactly: infinity has no JSON form, and an integer beyond 2^53
// reaches a JavaScript client as another number.
TEST(JsonRpc, IdsThatCannotRoundTripAreRefused) {
    for (const char* id : {"1e400", "-1e400", "9007199254740993", "-9007199254740993",
                           "18446744073709551615", "1e300"}) {
        auto e = error_of(std::string(R"({"jsonrpc":"2.0","method":"hello","id":)") + id + "}");
        EXPECT_EQ(code_of(e), -32600) << id;
        EXPECT_TRUE(e.at("id").is_null()) << id;
    }
    for (const char* id : {"9007199254740992", "-9007199254740992", "0", "1.5", "-7"}) {
        auto parsed =
            parse_message(std::string(R"({"jsonrpc":"2.0","method":"hello","id":)") + id + "}");
        EXPECT_TRUE(std::holds_alternative<Request>(parsed)) << id;
    }
}

TEST(JsonRpc, PositionalParamsAreInvalidParams) {
    auto e = error_of(R"({"jsonrpc":"2.0","id":"x","method":"sign","params":[1,2]})");
    EXPECT_EQ(code_of(e), -32602);
    EXPECT_EQ(e.at("id").as_string(), "x");
    EXPECT_EQ(e.at("error").at("data").at("field").as_string(), "params");
}

TEST(JsonRpc, NotificationWithBadParamsGetsNoAnswer) {
    auto parsed = parse_message(R"({"jsonrpc":"2.0","method":"sign","params":[1]})");
    ASSERT_TRUE(std::holds_alternative<InvalidMessage>(parsed));
    EXPECT_TRUE(std::get<InvalidMessage>(parsed).response.empty());
    // An invalid request is answered even without an id (id null).
    auto bad = error_of(R"({"jsonrpc":"2.0","method":"sign","params":"x"})");
    EXPECT_EQ(code_of(bad), -32600);
    EXPECT_TRUE(bad.at("id").is_null());
}

TEST(JsonRpc, DepthLimit) {
    std::string deep = R"({"jsonrpc":"2.0","id":1,"method":"hello","params":{"a":)";
    std::string nest;
    for (int i = 0; i < 40; ++i) nest += "[";
    for (int i = 0; i < 40; ++i) nest += "]";
    EXPECT_EQ(code_of(error_of(deep + nest + "}}")), -32700);
    std::string shallow;
    for (int i = 0; i < 10; ++i) shallow += "[";
    for (int i = 0; i < 10; ++i) shallow += "]";
    EXPECT_TRUE(std::holds_alternative<Request>(parse_message(deep + shallow + "}}")));
}

TEST(JsonRpc, SizeLimit) {
    std::string big = R"({"jsonrpc":"2.0","id":1,"method":"hello","params":{"p":")";
    big += std::string(kMaxMessageBytes, 'a') + "\"}}";
    auto e = error_of(big);
    EXPECT_EQ(code_of(e), -32600);
    std::string fits = R"({"jsonrpc":"2.0","id":1,"method":"hello","params":{"p":")";
    fits += std::string(kMaxMessageBytes - fits.size() - 3, 'a') + "\"}}";
    EXPECT_EQ(fits.size(), kMaxMessageBytes);
    EXPECT_TRUE(std::holds_alternative<Request>(parse_message(fits)));
}

TEST(JsonRpc, InvalidUtf8IsAParseError) {
    EXPECT_EQ(code_of(error_of("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}")), -32700);
}

TEST(JsonRpc, SerializesResults) {
    auto text = serialize_result(boost::json::value("q"), boost::json::object{{"cancelled", true}});
    auto v = boost::json::parse(text).as_object();
    EXPECT_EQ(v.at("jsonrpc").as_string(), "2.0");
    EXPECT_EQ(v.at("id").as_string(), "q");
    EXPECT_TRUE(v.at("result").at("cancelled").as_bool());
    EXPECT_FALSE(v.contains("error"));
}

TEST(JsonRpc, SerializesErrorsWithReasonAndExtraData) {
    boost::json::object data{{"pinStatus", "countLow"}};
    auto text = serialize_error(boost::json::value(9),
                                ProtocolError(ErrorCode::PinIncorrect, "Wrong PIN.", data));
    auto v = boost::json::parse(text).as_object();
    EXPECT_EQ(v.at("id").as_int64(), 9);
    const auto& err = v.at("error").as_object();
    EXPECT_EQ(err.at("code").as_int64(), 1007);
    EXPECT_EQ(err.at("message").as_string(), "Wrong PIN.");
    EXPECT_EQ(err.at("data").at("reason").as_string(), "PIN_INCORRECT");
    EXPECT_EQ(err.at("data").at("pinStatus").as_string(), "countLow");

    auto defaulted = boost::json::parse(serialize_error(nullptr, ProtocolError(ErrorCode::Busy)));
    EXPECT_EQ(defaulted.at("error").at("message").as_string(), default_message(ErrorCode::Busy));
    EXPECT_TRUE(defaulted.at("id").is_null());

    boost::json::object ckr{{"ckr", "CKR_DEVICE_ERROR"}};
    auto token = boost::json::parse(
        serialize_error(1, ProtocolError(ErrorCode::TokenError, "PKCS#11 failed.", ckr)));
    EXPECT_EQ(token.at("error").at("data").at("ckr").as_string(), "CKR_DEVICE_ERROR");
}

TEST(JsonRpc, SerializesNotifications) {
    auto v = boost::json::parse(
                 serialize_notification("cardsChanged", {{"cards", boost::json::array{}}}))
                 .as_object();
    EXPECT_EQ(v.at("method").as_string(), "cardsChanged");
    EXPECT_FALSE(v.contains("id"));
    EXPECT_TRUE(v.at("params").at("cards").as_array().empty());
}

}  // namespace
}  // namespace sithsd::protocol
