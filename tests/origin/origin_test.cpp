#include "protocol/origin.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

using sithsd::protocol::Origin;
using sithsd::protocol::OriginList;
using sithsd::protocol::OriginPattern;
using sithsd::protocol::parse_origin;

namespace {

// Input → serialized origin.
const std::pair<const char*, const char*> good_origins[] = {
    {"https://beh.example.se", "https://beh.example.se"},
    {"HTTPS://BEH.Example.SE", "https://beh.example.se"},
    {"https://beh.example.se:443", "https://beh.example.se"},
    {"https://beh.example.se:8443", "https://beh.example.se:8443"},
    {"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
    {"http://127.0.0.1:80", "http://127.0.0.1"},
    {"http://localhost", "http://localhost"},
    {"https://localhost:443", "https://localhost"},
    {"http://example.se:443", "http://example.se:443"},
    {"https://example.se:80", "https://example.se:80"},
    {"wss://example.se:443", "wss://example.se"},
    {"ws://example.se:80", "ws://example.se"},
    {"https://[::1]", "https://[::1]"},
    {"http://[::1]:8080", "http://[::1]:8080"},
    {"https://[2001:DB8::1]:443", "https://[2001:db8::1]"},
    {"https://[2001:db8:0:0:0:0:0:1]", "https://[2001:db8::1]"},
    {"https://[::ffff:127.0.0.1]", "https://[::ffff:127.0.0.1]"},
    {"https://xn--rksmrgs-5wao1o.se", "https://xn--rksmrgs-5wao1o.se"},
    {"https://a-b.c_d.example.se", "https://a-b.c_d.example.se"},
    {"https://a", "https://a"},
    {"https://x:1", "https://x:1"},
    {"https://x:65535", "https://x:65535"},
    {"chrome-extension://abcdefghijklmnop", "chrome-extension://abcdefghijklmnop"},
    {"moz-extension://0f1e2d3c-aaaa-bbbb", "moz-extension://0f1e2d3c-aaaa-bbbb"},
    {"app+x.y-z://host", "app+x.y-z://host"},
    {"https://255.255.255.255", "https://255.255.255.255"},
    {"https://0.0.0.0:1", "https://0.0.0.0:1"},
    {"https://1e100.net", "https://1e100.net"},
};

// Inputs that must be refused.
const char* const bad_origins[] = {
    "",
    "null",
    "NULL",
    "https://",
    "https://:443",
    "https//example.se",
    "https:/example.se",
    "example.se",
    "://example.se",
    "1http://example.se",
    "ht tp://example.se",
    "ht_tp://example.se",
    "https://example.se/",
    "https://example.se/path",
    "https://example.se/v1/",
    "https://example.se?",
    "https://example.se?x=1",
    "https://example.se#",
    "https://example.se#frag",
    "https://user@example.se",
    "https://user:pw@example.se",
    "https://@example.se",
    "https://example.se:",
    "https://example.se:0",
    "https://example.se:00443",
    "https://example.se:65536",
    "https://example.se:99999",
    "https://example.se:123456",
    "https://example.se:-1",
    "https://example.se:+1",
    "https://example.se:8a",
    "https://example.se:443:443",
    "https://exa mple.se",
    " https://example.se",
    "https://example.se ",
    "https://example.se\t",
    "https://example.se\r\n",
    "https://exam\x01ple.se",
    "https://räksmörgås.se",
    "https://example..se",
    "https://.example.se",
    "https://example.se.",
    "https://exa!mple.se",
    "https://exa%41mple.se",
    "https://exa\\mple.se",
    "https://*.example.se",  // a pattern, not an origin
    "https://[::1",
    "https://::1",
    "https://[::1]x",
    "https://[::1]:",
    "https://[::1]:0",
    "https://[::g]",
    "https://[]",
    "https://[fe80::1%25eth0]",
    "https://[1.2.3.4]",
    "https://127.1",
    "https://127.0.0.01",
    "https://127.000.0.1",
    "https://256.0.0.1",
    "https://1.2.3.4.5",
    "https://0x7f.0.0.1",
    "https://2130706433",
    "https://a.b.c.1",
    "https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.se",  // 64-char label
};

}  // namespace

TEST(Origin, ParsesAndSerializesGoodOrigins) {
    for (const auto& [input, expected] : good_origins) {
        std::string why;
        auto origin = parse_origin(input, &why);
        ASSERT_TRUE(origin.has_value()) << input << ": " << why;
        EXPECT_EQ(origin->serialize(), expected) << input;
        // The serialized form parses to the same origin (round trip).
        auto again = parse_origin(origin->serialize());
        ASSERT_TRUE(again.has_value()) << expected;
        EXPECT_EQ(*again, *origin) << expected;
    }
}

TEST(Origin, RefusesBadOriginsWithAReason) {
    for (const char* input : bad_origins) {
        std::string why;
        EXPECT_FALSE(parse_origin(input, &why).has_value()) << "accepted: " << input;
        EXPECT_FALSE(why.empty()) << input;
    }
}

TEST(Origin, RefusesOver255Characters) {
    std::string host(63, 'a');
    std::string origin = "https://" + host + "." + host + "." + host + "." + host;  // 8+255
    EXPECT_FALSE(parse_origin(origin).has_value());
    std::string exact = "https://" + host + "." + host + "." + host + "." + std::string(55, 'b');
    ASSERT_EQ(exact.size(), 255u);
    EXPECT_TRUE(parse_origin(exact).has_value());
    EXPECT_FALSE(parse_origin(exact + "b").has_value());
}

TEST(Origin, ComponentsAreExposed) {
    auto origin = parse_origin("HTTP://[::1]:8080");
    ASSERT_TRUE(origin);
    EXPECT_EQ(origin->scheme, "http");
    EXPECT_EQ(origin->host, "[::1]");
    EXPECT_EQ(origin->port, 8080);
    auto dflt = parse_origin("https://x.se:443");
    ASSERT_TRUE(dflt);
    EXPECT_FALSE(dflt->port.has_value());
}

TEST(Origin, EqualityUsesNormalisedForm) {
    EXPECT_EQ(*parse_origin("https://A.se:443"), *parse_origin("https://a.se"));
    EXPECT_NE(*parse_origin("https://a.se"), *parse_origin("http://a.se"));
    EXPECT_NE(*parse_origin("https://a.se"), *parse_origin("https://a.se:8443"));
    EXPECT_NE(*parse_origin("https://a.se"), *parse_origin("https://b.a.se"));
}

TEST(OriginPattern, ExactEntryMatchesOnlyThatOrigin) {
    auto pattern = OriginPattern::parse("https://beh.example.se");
    ASSERT_TRUE(pattern);
    EXPECT_FALSE(pattern->is_wildcard());
    EXPECT_TRUE(pattern->matches(*parse_origin("https://beh.example.se")));
    EXPECT_TRUE(pattern->matches(*parse_origin("https://BEH.example.se:443")));
    EXPECT_FALSE(pattern->matches(*parse_origin("https://x.beh.example.se")));
    EXPECT_FALSE(pattern->matches(*parse_origin("http://beh.example.se")));
    EXPECT_FALSE(pattern->matches(*parse_origin("https://beh.example.se:8443")));
    EXPECT_FALSE(pattern->matches(*parse_origin("https://example.se")));
}

TEST(OriginPattern, WildcardMatchesSubdomainsOnly) {
    auto pattern = OriginPattern::parse("https://*.example.se");
    ASSERT_TRUE(pattern);
    EXPECT_TRUE(pattern->is_wildcard());
    EXPECT_EQ(pattern->serialize(), "https://*.example.se");
    EXPECT_TRUE(pattern->matches(*parse_origin("https://beh.example.se")));
    EXPECT_TRUE(pattern->matches(*parse_origin("https://a.b.example.se")));
    EXPECT_TRUE(pattern->matches(*parse_origin("https://A.Example.SE:443")));
    EXPECT_FALSE(pattern->matches(*parse_origin("https://example.se")));
    EXPECT_FALSE(pattern->matches(*parse_origin("https://badexample.se")));
    EXPECT_FALSE(pattern->matches(*parse_origin("https://example.se.evil.com")));
    EXPECT_FALSE(pattern->matches(*parse_origin("https://beh.example.se.evil.com")));
    EXPECT_FALSE(pattern->matches(*parse_origin("http://beh.example.se")));
    EXPECT_FALSE(pattern->matches(*parse_origin("https://beh.example.se:8443")));
    EXPECT_FALSE(pattern->matches(*parse_origin("https://beh.example.com")));
}

TEST(OriginPattern, WildcardWithPort) {
    auto pattern = OriginPattern::parse("https://*.Example.se:8443");
    ASSERT_TRUE(pattern);
    EXPECT_EQ(pattern->serialize(), "https://*.example.se:8443");
    EXPECT_TRUE(pattern->matches(*parse_origin("https://a.example.se:8443")));
    EXPECT_FALSE(pattern->matches(*parse_origin("https://a.example.se")));
    auto dflt = OriginPattern::parse("https://*.example.se:443");
    ASSERT_TRUE(dflt);
    EXPECT_EQ(dflt->serialize(), "https://*.example.se");
}

TEST(OriginPattern, RefusesBadPatterns) {
    const char* const bad[] = {
        "http://*.example.se",  // wildcards only for https
        "https://*.se",         // too broad
        "https://*",            // everything
        "https://*.",           // empty
        "https://**.example.se",
        "https://a.*.example.se",
        "https://*a.example.se",
        "https://a*.example.se",
        "https://*.example.se/",
        "https://*.example.se/x",
        "https://*.127.0.0.1",
        "https://*.0.1",
        "https://*.[::1]",
        "https://*..example.se",
        "https://*.example.se.",
        "null",
        "https://example.se/",
        "",
    };
    for (const char* input : bad) {
        std::string why;
        EXPECT_FALSE(OriginPattern::parse(input, &why).has_value()) << "accepted: " << input;
        EXPECT_FALSE(why.empty()) << input;
    }
}

TEST(OriginPattern, ExactEntriesAcceptEveryGoodOrigin) {
    for (const auto& [input, expected] : good_origins) {
        auto pattern = OriginPattern::parse(input);
        ASSERT_TRUE(pattern) << input;
        EXPECT_EQ(pattern->serialize(), expected);
        EXPECT_TRUE(pattern->matches(*parse_origin(input)));
    }
}

TEST(OriginList, MatchesAnyEntry) {
    OriginList list({*OriginPattern::parse("http://127.0.0.1:8080"),
                     *OriginPattern::parse("https://*.region.se")});
    EXPECT_FALSE(list.empty());
    EXPECT_TRUE(list.matches(*parse_origin("http://127.0.0.1:8080")));
    EXPECT_TRUE(list.matches(*parse_origin("https://journal.region.se")));
    EXPECT_FALSE(list.matches(*parse_origin("https://region.se")));
    EXPECT_FALSE(list.matches(*parse_origin("http://127.0.0.1:8081")));
    EXPECT_FALSE(OriginList{}.matches(*parse_origin("https://a.se")));
}
