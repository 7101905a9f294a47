#include "daemon/handshake_check.hpp"

#include <gtest/gtest.h>

using namespace sithsd::daemon;
using sithsd::protocol::OriginList;
using sithsd::protocol::OriginPattern;

namespace {

OriginPolicy policy(bool prompt_unknown = true) {
    return OriginPolicy(OriginList({*OriginPattern::parse("http://127.0.0.1:8080"),
                                    *OriginPattern::parse("https://*.region.se")}),
                        OriginList({*OriginPattern::parse("https://evil.example.se"),
                                    *OriginPattern::parse("https://x.region.se")}),
                        prompt_unknown);
}

HandshakeRequest request(std::string_view origin, std::string_view host = "127.0.0.1:24891",
                         std::string_view target = "/v1") {
    HandshakeRequest r;
    r.target = target;
    r.host = host;
    r.origin = origin;
    r.origin_count = 1;
    return r;
}

unsigned status(const HandshakeRequest& r, bool prompt_unknown = true) {
    return check_handshake(r, policy(prompt_unknown), 24891).status;
}

}  // namespace

TEST(HandshakeCheck, AcceptsAndReportsTheOrigin) {
    auto v = check_handshake(request("HTTPS://Portal.Example.SE:443"), policy(), 24891);
    EXPECT_TRUE(v.accepted());
    EXPECT_EQ(v.origin.serialize(), "https://portal.example.se");
    EXPECT_EQ(v.origin_status, OriginStatus::unknown);
    v = check_handshake(request("https://journal.region.se"), policy(), 24891);
    EXPECT_EQ(v.origin_status, OriginStatus::allowed);
    v = check_handshake(request("http://127.0.0.1:8080"), policy(), 24891);
    EXPECT_TRUE(v.accepted());
    EXPECT_EQ(v.origin_status, OriginStatus::allowed);
}

TEST(HandshakeCheck, Host) {
    for (const char* host :
         {"127.0.0.1:24891", "[::1]:24891", "localhost:24891", "LocalHost:24891"})
        EXPECT_EQ(status(request("https://a.se", host)), 101u) << host;
    for (const char* host : {"evil.example:24891", "127.0.0.1:24892", "127.0.0.1", "localhost",
                             "[::1]", "127.0.0.2:24891", "[::2]:24891", "", "127.0.0.1:24891 ",
                             "localhost.:24891", "0.0.0.0:24891", "127.0.0.1:24891@evil"})
        EXPECT_EQ(status(request("https://a.se", host)), 403u) << host;
    HandshakeRequest twice = request("https://a.se");
    twice.host_count = 2;
    EXPECT_EQ(status(twice), 403u);
}

TEST(HandshakeCheck, BarePortlessHostOnlyOnPort80) {
    auto r = request("https://a.se", "localhost");
    EXPECT_EQ(check_handshake(r, policy(), 80).status, 101u);
    EXPECT_EQ(check_handshake(r, policy(), 81).status, 403u);
}

TEST(HandshakeCheck, Origin) {
    HandshakeRequest none = request("");
    none.origin.reset();
    none.origin_count = 0;
    EXPECT_EQ(status(none), 403u);
    HandshakeRequest twice = request("https://a.se");
    twice.origin_count = 2;
    EXPECT_EQ(status(twice), 403u);
    EXPECT_EQ(status(request("null")), 403u);
    EXPECT_EQ(status(request("")), 403u);
    EXPECT_EQ(status(request("https://a.se/")), 403u);
    EXPECT_EQ(status(request("https://evil.example.se")), 403u);   // deny list
    EXPECT_EQ(status(request("https://x.region.se")), 403u);       // deny beats allow
    EXPECT_EQ(status(request("http://portal.example.se")), 403u);  // http, not allowed
    EXPECT_EQ(status(request("http://127.0.0.1:8081")), 403u);
    EXPECT_EQ(status(request("file://host")), 403u);
    EXPECT_EQ(status(request("https://unknown.example.se"), false), 403u);
    EXPECT_EQ(status(request("https://a.region.se"), false), 101u);
    EXPECT_EQ(status(request("http://127.0.0.1:8080"), false), 101u);
}

TEST(HandshakeCheck, PathAndUpgrade) {
    for (const char* target : {"/", "/v2", "/v1/", "/v1?x", "/V1", "", "*"})
        EXPECT_EQ(status(request("https://a.se", "127.0.0.1:24891", target)), 404u) << target;
    HandshakeRequest plain = request("https://a.se");
    plain.websocket_upgrade = false;
    EXPECT_EQ(status(plain), 400u);
}

TEST(HandshakeCheck, OrderOfChecksFollowsTheTable) {
    // A foreign Host is refused before the origin or the path is looked at.
    auto v = check_handshake(request("https://evil.example.se", "evil:1", "/x"), policy(), 24891);
    EXPECT_EQ(v.status, 403u);
    EXPECT_NE(v.reason.find("Host"), std::string::npos);
    // A bad origin is 403 even on a wrong path.
    EXPECT_EQ(status(request("http://evil", "127.0.0.1:24891", "/x")), 403u);
}

TEST(HandshakeCheck, Subprotocol) {
    EXPECT_TRUE(offers_subprotocol("sithsd.v1", "sithsd.v1"));
    EXPECT_TRUE(offers_subprotocol("a, sithsd.v1", "sithsd.v1"));
    EXPECT_TRUE(offers_subprotocol(" sithsd.v1 ,b", "sithsd.v1"));
    EXPECT_FALSE(offers_subprotocol("", "sithsd.v1"));
    EXPECT_FALSE(offers_subprotocol("sithsd.v2", "sithsd.v1"));
    EXPECT_FALSE(offers_subprotocol("SITHSD.V1", "sithsd.v1"));
    EXPECT_FALSE(offers_subprotocol("xsithsd.v1", "sithsd.v1"));
}

TEST(HandshakeCheck, PrintableEscapes) {
    EXPECT_EQ(printable("a\r\nb"), "a\\x0d\\x0ab");
    EXPECT_EQ(printable("\xc3\xa5"), "\\xc3\\xa5");
    EXPECT_EQ(printable(std::string(150, 'x')), std::string(100, 'x') + "...");
}
