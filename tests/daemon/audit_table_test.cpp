// `sithsctl audit show`'s rows: local time, filters by time and requester, broken lines shown.
#include "daemon/audit_table.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

namespace sithsd::daemon {
namespace {

const char* kLog =
    R"({"time":"2026-12-01T07:30:00Z","origin":"https://portal.example.se","method":"authenticate","hsaId":"SE1-A","certificateSerial":"01","result":"ok"})"
    "\n"
    R"({"time":"2026-12-02T12:00:00.250Z","origin":"program /usr/bin/sithsctl","method":"sign","hsaId":"","certificateSerial":"0A","result":"PIN_INCORRECT"})"
    "\n"
    "not json\n";

class AuditTableTest : public ::testing::Test {
  protected:
    // Swedish local time, as on the workstations (CET in December: UTC+1).
    void SetUp() override {
        ::setenv("TZ", "Europe/Stockholm", 1);
        ::tzset();
    }
    void TearDown() override {
        ::unsetenv("TZ");
        ::tzset();
    }
};

TEST_F(AuditTableTest, RowsInLocalTime) {
    std::istringstream in(kLog);
    const auto rows = audit_rows(in, {});
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[0][0], "TIME");
    EXPECT_EQ(rows[1], (std::vector<std::string>{"2026-12-01 08:30:00", "authenticate",
                                                 "https://portal.example.se", "SE1-A", "ok"}));
    EXPECT_EQ(rows[2][0], "2026-12-02 13:00:00");
    EXPECT_EQ(rows[2][3], "serial 0A");
    EXPECT_EQ(rows[3][4], "line 3: not JSON");
}

TEST_F(AuditTableTest, SinceAndOrigin) {
    std::istringstream in(kLog);
    AuditFilter filter;
    filter.since = parse_local_time("2026-12-02");
    ASSERT_TRUE(filter.since);
    filter.origin = "sithsctl";
    const auto rows = audit_rows(in, filter);
    ASSERT_EQ(rows.size(), 3u);  // the header, the sign line, the broken line
    EXPECT_EQ(rows[1][1], "sign");
    std::istringstream again(kLog);
    filter.since = parse_local_time("2026-12-01T08:30");
    filter.origin = "portal";
    EXPECT_EQ(audit_rows(again, filter).size(), 3u);
    EXPECT_FALSE(parse_local_time("yesterday"));
    EXPECT_FALSE(parse_local_time("2026-12-01x"));
    EXPECT_FALSE(parse_local_time("2999-01-01")) << "past what system_clock holds";
}

}  // namespace
}  // namespace sithsd::daemon
