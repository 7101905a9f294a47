// Replays the committed corpus through the fuzz entry points (label protocol): every build runs
// what the fuzzer found interesting, under ASan+UBSan in the sanitizer build.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz_targets.hpp"

namespace {

namespace fs = std::filesystem;

std::size_t replay(const char* target, int (*fn)(const std::uint8_t*, std::size_t)) {
    std::size_t n = 0;
    for (const auto& entry : fs::directory_iterator(fs::path(SITHSD_FUZZ_CORPUS) / target)) {
        std::ifstream in(entry.path(), std::ios::binary);
        const std::vector<std::uint8_t> bytes(std::istreambuf_iterator<char>(in), {});
        SCOPED_TRACE(entry.path().string());
        EXPECT_EQ(fn(bytes.data(), bytes.size()), 0);
        ++n;
    }
    return n;
}

TEST(FuzzReplay, Request) {
    EXPECT_GE(replay("request", sithsd::fuzz::request), 10u);
}
TEST(FuzzReplay, Token) {
    EXPECT_GE(replay("token", sithsd::fuzz::token), 5u);
}
TEST(FuzzReplay, Origin) {
    EXPECT_GE(replay("origin", sithsd::fuzz::origin), 10u);
}
TEST(FuzzReplay, Identity) {
    EXPECT_GE(replay("identity", sithsd::fuzz::identity), 5u);
}

}  // namespace
