#include "protocol/errors.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sithsd::protocol {
namespace {

TEST(Errors, TableOfProtocolMd) {
    const std::pair<int, const char*> table[] = {
        {1001, "ORIGIN_DENIED"},
        {1002, "USER_CANCELLED"},
        {1003, "NO_CARD"},
        {1004, "CARD_REMOVED"},
        {1005, "CERTIFICATE_NOT_FOUND"},
        {1006, "CERTIFICATE_SELECTION_REQUIRED"},
        {1007, "PIN_INCORRECT"},
        {1008, "PIN_BLOCKED"},
        {1009, "PROMPT_UNAVAILABLE"},
        {1010, "BUSY"},
        {1011, "TIMEOUT"},
        {1012, "TOKEN_ERROR"},
        {1013, "CERTIFICATE_EXPIRED"},
        {1014, "LOCAL_ONLY"},
        {1015, "RATE_LIMITED"},
        {1016, "SHUTTING_DOWN"},
        {-32700, "PARSE_ERROR"},
        {-32600, "INVALID_REQUEST"},
        {-32601, "METHOD_NOT_FOUND"},
        {-32602, "INVALID_PARAMS"},
    };
    std::set<std::string> messages;
    for (const auto& [number, reason] : table) {
        const auto code = error_code_from_int(number);
        ASSERT_TRUE(code) << number;
        EXPECT_EQ(reason_name(*code), reason);
        EXPECT_FALSE(default_message(*code).empty());
        messages.insert(std::string(default_message(*code)));
    }
    EXPECT_EQ(messages.size(), std::size(table));  // each has its own sentence
    EXPECT_FALSE(error_code_from_int(1017));
    EXPECT_FALSE(error_code_from_int(0));
}

TEST(Errors, StdErrorCodeCategory) {
    std::error_code ec = ErrorCode::PinBlocked;
    EXPECT_EQ(ec.value(), 1008);
    EXPECT_STREQ(ec.category().name(), "sithsd.protocol");
    EXPECT_EQ(ec.message(), default_message(ErrorCode::PinBlocked));
    EXPECT_EQ(ec, make_error_code(ErrorCode::PinBlocked));
    EXPECT_NE(ec, make_error_code(ErrorCode::PinIncorrect));
}

TEST(Errors, InvalidParamsNamesTheField) {
    auto e = invalid_params("hash", "bad");
    EXPECT_EQ(e.code, ErrorCode::InvalidParams);
    EXPECT_EQ(e.data.at("field").as_string(), "hash");
    EXPECT_EQ(e.message, "bad");
}

TEST(Errors, ExtraDataHelpers) {
    auto pin = pin_incorrect("finalTry");
    EXPECT_EQ(pin.code, ErrorCode::PinIncorrect);
    EXPECT_EQ(pin.data.at("pinStatus").as_string(), "finalTry");
    auto token = token_error("CKR_DEVICE_REMOVED");
    EXPECT_EQ(token.code, ErrorCode::TokenError);
    EXPECT_EQ(token.data.at("ckr").as_string(), "CKR_DEVICE_REMOVED");
    auto sel = selection_required(boost::json::array{boost::json::object{{"certificateId", "a"}},
                                                     boost::json::object{{"certificateId", "b"}}});
    EXPECT_EQ(sel.code, ErrorCode::CertificateSelectionRequired);
    EXPECT_EQ(sel.data.at("candidates").as_array().size(), 2u);
    EXPECT_EQ(sel.message, default_message(ErrorCode::CertificateSelectionRequired));
}

}  // namespace
}  // namespace sithsd::protocol
