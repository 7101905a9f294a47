// The caller check: Chrome's origin argument, Firefox's manifest path and id, anything else out.
#include "browser-bridge/native-host/caller.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace sithsd::native_host {
namespace {

bool accepts(std::vector<std::string_view> args) {
    return called_by_our_extension(args);
}

TEST(Caller, ChromeOriginOfOurExtension) {
    EXPECT_TRUE(accepts({"chrome-extension://dhcgobcphckpalnkldnainiihecbaibm/"}));
    EXPECT_TRUE(
        accepts({"chrome-extension://dhcgobcphckpalnkldnainiihecbaibm/", "--parent-window=0"}));
}

TEST(Caller, FirefoxManifestAndOurId) {
    EXPECT_TRUE(accepts({"/home/a/.mozilla/native-messaging-hosts/se.sithsd.native_host.json",
                         "extension@sithsd.se"}));
}

TEST(Caller, OthersAreRefused) {
    EXPECT_FALSE(accepts({}));
    EXPECT_FALSE(accepts({"chrome-extension://ncibgoaomkmdpilpocfeponihegamlic/"}));
    EXPECT_FALSE(accepts({"chrome-extension://dhcgobcphckpalnkldnainiihecbaibm"}));
    EXPECT_FALSE(accepts({"/path/manifest.json", "{other-id}"}));
    EXPECT_FALSE(accepts({"extension@sithsd.se"}));
}

}  // namespace
}  // namespace sithsd::native_host
