// The method table: hello's lists, who may call what, and the parsers each row carries.
#include "protocol/method_table.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>

namespace sithsd::protocol {
namespace {

using Names = std::vector<std::string_view>;

boost::json::object obj(const std::string& text) {
    return boost::json::parse(text).as_object();
}

TEST(MethodTable, HelloListsWhatEachCallerMayCall) {
    const Names web{"hello", "listCards", "listCertificates", "authenticate", "sign", "cancel"};
    const Names local{"hello",  "listCards", "listCertificates", "authenticate", "sign",
                      "cancel", "changePin", "unblockPin",       "status",       "introduce"};
    EXPECT_EQ(method_names(OriginAuthority::browser_handshake), web);
    EXPECT_EQ(method_names(OriginAuthority::extension), web);
    EXPECT_EQ(method_names(OriginAuthority::local_user), local);
    EXPECT_EQ(method_names(OriginAuthority::browser_module),
              (Names{"moduleCertificates", "moduleSign"}));
}

TEST(MethodTable, EveryNameOnceAndFound) {
    for (const auto& row : method_table()) {
        ASSERT_EQ(find_method(row.name), &row) << row.name;
    }
    EXPECT_EQ(find_method("Authenticate"), nullptr);
    EXPECT_EQ(find_method(""), nullptr);
    EXPECT_EQ(find_method("status")->callers.contains(OriginAuthority::browser_handshake), false);
}

TEST(MethodTable, WhatEachMethodNeeds) {
    for (const auto& row : method_table()) {
        const bool card_method = row.name == "authenticate" || row.name == "sign" ||
                                 row.name == "changePin" || row.name == "unblockPin" ||
                                 row.name == "moduleSign";
        EXPECT_EQ(row.needs_card, card_method) << row.name;
        EXPECT_EQ(row.prompts, card_method) << row.name;
        EXPECT_EQ(row.needs_consent, row.name != "hello" && row.name != "introduce") << row.name;
    }
}

TEST(MethodTable, RateLimitOnlyForPromptsFromBrowserVouchedOrigins) {
    const auto& auth = *find_method("authenticate");
    EXPECT_TRUE(rate_limited(auth, OriginAuthority::browser_handshake));
    EXPECT_TRUE(rate_limited(auth, OriginAuthority::extension));
    EXPECT_FALSE(rate_limited(auth, OriginAuthority::local_user));
    EXPECT_FALSE(rate_limited(*find_method("listCards"), OriginAuthority::browser_handshake));
}

TEST(MethodTable, ParsersGiveTheirParams) {
    const std::string nonce(44, 'A');
    const auto with_origin =
        obj(R"({"challengeNonce":")" + nonce + R"(","origin":"https://a.se"})");
    auto local = find_method("authenticate")->parse(with_origin, OriginAuthority::local_user);
    ASSERT_TRUE(local);
    EXPECT_EQ(std::get<AuthenticateParams>(*local).origin, "https://a.se");
    auto web = find_method("authenticate")->parse(with_origin, OriginAuthority::browser_handshake);
    ASSERT_FALSE(web);
    EXPECT_EQ(web.error().code, ErrorCode::InvalidParams);

    auto pin = find_method("changePin")
                   ->parse(obj(R"({"cardId":"c1","pin":"signing"})"), OriginAuthority::local_user);
    ASSERT_TRUE(pin);
    EXPECT_EQ(std::get<PinParams>(*pin).pin, PinKind::signing);
    auto none = find_method("listCards")->parse(obj("{}"), OriginAuthority::local_user);
    ASSERT_TRUE(none);
    EXPECT_TRUE(std::holds_alternative<std::monostate>(*none));
    EXPECT_FALSE(find_method("cancel")->parse(obj("{}"), OriginAuthority::local_user));

    const auto& introduce = *find_method("introduce");
    auto ext = introduce.parse(obj(R"({"as":"extension","origin":"https://A.se:443"})"),
                               OriginAuthority::local_user);
    ASSERT_TRUE(ext);
    EXPECT_EQ(std::get<IntroduceParams>(*ext).origin->serialize(), "https://a.se");
    EXPECT_FALSE(introduce.parse(obj(R"({"as":"extension"})"), OriginAuthority::local_user));
    EXPECT_FALSE(introduce.parse(obj(R"({"as":"extension","origin":"https://a.se/x"})"),
                                 OriginAuthority::local_user));
    EXPECT_FALSE(introduce.parse(obj(R"({"as":"browserModule","origin":"https://a.se"})"),
                                 OriginAuthority::local_user));
    EXPECT_FALSE(introduce.parse(obj(R"({"as":"page"})"), OriginAuthority::local_user));
    EXPECT_TRUE(introduce.parse(obj(R"({"as":"browserModule"})"), OriginAuthority::local_user));
}

}  // namespace
}  // namespace sithsd::protocol
