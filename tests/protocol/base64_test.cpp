#include "protocol/base64.hpp"

#include <gtest/gtest.h>

namespace sithsd::protocol {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

TEST(Base64, Rfc4648Vectors) {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(base64_encode(bytes(plain)), encoded);
        auto decoded = base64_decode(encoded);
        ASSERT_TRUE(decoded) << encoded;
        EXPECT_EQ(*decoded, bytes(plain));
        EXPECT_EQ(base64_decoded_size(encoded), std::string_view(plain).size());
    }
}

TEST(Base64, UsesPlusAndSlash) {
    const std::vector<std::uint8_t> v{0xfb, 0xff, 0xbf};
    EXPECT_EQ(base64_encode(v), "+/+/");
    EXPECT_EQ(base64url_encode(v), "-_-_");
    EXPECT_EQ(*base64url_decode("-_-_"), v);
}

TEST(Base64, StrictDecoding) {
    for (const char* bad : {"Zg", "Zg=", "Zg===", "Z===", "====", "Zm9v\n", " Zm9v", "Zm9v YmFy",
                            "Zm-v", "Zm_v", "Zh==", "Zm9=", "Z=9v", "Zg==Zg==", "Zm9*"}) {
        EXPECT_FALSE(base64_decode(bad)) << bad;
    }
}

TEST(Base64Url, NoPaddingAndStrict) {
    EXPECT_EQ(base64url_encode(bytes("f")), "Zg");
    EXPECT_EQ(*base64url_decode("Zm8"), bytes("fo"));
    EXPECT_FALSE(base64url_decode("Zg=="));
    EXPECT_FALSE(base64url_decode("Z"));
    EXPECT_FALSE(base64url_decode("Zm+v"));
    EXPECT_FALSE(base64url_decode("Zh"));  // non-zero trailing bits
}

}  // namespace
}  // namespace sithsd::protocol
