#include "daemon/basic_dispatcher.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

using namespace sithsd::daemon;
namespace json = boost::json;

namespace {

BasicDispatcher dispatcher() {
    using sithsd::protocol::OriginList;
    using sithsd::protocol::OriginPattern;
    return BasicDispatcher(
        OriginPolicy(OriginList({*OriginPattern::parse("https://*.region.se")}), {}, true));
}

Peer ws(std::string origin) {
    Peer p;
    p.transport = Transport::websocket;
    p.origin = std::move(origin);
    return p;
}

json::value reply(std::string_view text, const Peer& peer = ws("https://a.region.se")) {
    auto out = dispatcher().handle(peer, text);
    EXPECT_TRUE(out.has_value()) << text;
    return out ? json::parse(*out) : json::value();
}

void expect_error(const json::value& r, int code, std::string_view reason, json::value id) {
    ASSERT_TRUE(r.is_object()) << r;
    EXPECT_EQ(r.at("jsonrpc"), json::value("2.0"));
    EXPECT_EQ(r.at("id"), id) << r;
    EXPECT_EQ(r.at("error").at("code"), json::value(code)) << r;
    EXPECT_EQ(r.at("error").at("data").at("reason"), json::value(reason)) << r;
    EXPECT_TRUE(r.at("error").at("message").is_string());
}

}  // namespace

TEST(BasicDispatcher, HelloOverWebSocket) {
    auto r = reply(R"({"jsonrpc":"2.0","id":1,"method":"hello"})");
    EXPECT_EQ(r, json::parse(R"({"jsonrpc":"2.0","id":1,"result":{"protocol":"sithsd/1",
        "version":")" SITHSD_VERSION R"(","origin":"https://a.region.se","originStatus":"allowed",
        "transport":"websocket","methods":["hello"]}})"));
    r = reply(R"({"jsonrpc":"2.0","id":"x","method":"hello"})", ws("https://b.example.se"));
    EXPECT_EQ(r.at("result").at("originStatus"), json::value("unknown"));
    EXPECT_EQ(r.at("id"), json::value("x"));
}

TEST(BasicDispatcher, HelloOverUnix) {
    Peer peer;
    peer.transport = Transport::unix_socket;
    peer.pid = 42;
    auto r = reply(R"({"jsonrpc":"2.0","id":2,"method":"hello","params":{}})", peer);
    EXPECT_EQ(r.at("result").at("transport"), json::value("unix"));
    EXPECT_TRUE(r.at("result").at("origin").is_null());
}

TEST(BasicDispatcher, Errors) {
    expect_error(reply("{"), -32700, "PARSE_ERROR", nullptr);
    expect_error(reply(""), -32700, "PARSE_ERROR", nullptr);
    expect_error(reply(std::string(40, '[') + std::string(40, ']')), -32700, "PARSE_ERROR",
                 nullptr);
    expect_error(reply("[]"), -32600, "INVALID_REQUEST", nullptr);
    expect_error(reply(R"([{"jsonrpc":"2.0","id":1,"method":"hello"}])"), -32600, "INVALID_REQUEST",
                 nullptr);
    expect_error(reply("42"), -32600, "INVALID_REQUEST", nullptr);
    expect_error(reply(R"({"jsonrpc":"1.0","id":3,"method":"hello"})"), -32600, "INVALID_REQUEST",
                 3);
    expect_error(reply(R"({"id":3,"method":"hello"})"), -32600, "INVALID_REQUEST", 3);
    expect_error(reply(R"({"jsonrpc":"2.0","id":3})"), -32600, "INVALID_REQUEST", 3);
    expect_error(reply(R"({"jsonrpc":"2.0","id":3,"method":7})"), -32600, "INVALID_REQUEST", 3);
    expect_error(reply(R"({"jsonrpc":"2.0","id":{},"method":"hello"})"), -32600, "INVALID_REQUEST",
                 nullptr);
    expect_error(reply(R"({"jsonrpc":"2.0","id":3,"method":"hello","params":1})"), -32600,
                 "INVALID_REQUEST", 3);
    expect_error(reply(R"({"jsonrpc":"2.0","id":3,"method":"sign"})"), -32601, "METHOD_NOT_FOUND",
                 3);
}

TEST(BasicDispatcher, NotificationsGetNoResponse) {
    EXPECT_FALSE(dispatcher().handle(ws("https://a.se"), R"({"jsonrpc":"2.0","method":"hello"})"));
    EXPECT_FALSE(dispatcher().handle(ws("https://a.se"), R"({"jsonrpc":"2.0","method":"nope"})"));
}

TEST(BasicDispatcher, NestingLimit) {
    std::string ok = R"({"jsonrpc":"2.0","id":1,"method":"hello","params":{"a":)" +
                     std::string(29, '[') + std::string(29, ']') + "}}";
    EXPECT_TRUE(reply(ok).as_object().contains("result"));
    std::string deep = R"({"jsonrpc":"2.0","id":1,"method":"hello","params":{"a":)" +
                       std::string(31, '[') + std::string(31, ']') + "}}";
    expect_error(reply(deep), -32700, "PARSE_ERROR", nullptr);
}
