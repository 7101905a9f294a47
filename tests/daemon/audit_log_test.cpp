// The audit log's chain and its head record (FILE.head, one 65-byte record rewritten in place):
// appended lines verify, a reopened log continues the chain, a removed or altered line is found.
#include "daemon/audit_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sithsd::daemon {
namespace {

namespace fs = std::filesystem;

class AuditLogTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("sithsd-audit-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        file_ = dir_ / "audit.jsonl";
    }
    void TearDown() override { fs::remove_all(dir_); }

    static AuditEntry entry(const std::string& result) {
        AuditEntry e;
        e.origin = "https://portal.example.se";
        e.method = "sign";
        e.result = result;
        return e;
    }
    static std::string read(const fs::path& path) {
        std::ifstream in(path, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }
    static std::string last_line(const std::string& text) {
        const auto end = text.rfind('\n');
        const auto start = text.rfind('\n', end - 1);
        return text.substr(start == std::string::npos ? 0 : start + 1,
                           end - (start == std::string::npos ? 0 : start + 1));
    }

    fs::path dir_;
    fs::path file_;
};

TEST_F(AuditLogTest, TheHeadNamesTheLastLineAndTheChainVerifies) {
    {
        AuditLog log(file_);
        log.append(entry("ok"));
        log.append(entry("PIN_INCORRECT"));
        log.append(entry("ok"));
    }
    const std::string text = read(file_);
    const std::string head = read(file_.string() + ".head");
    EXPECT_EQ(head.size(), 65u);
    EXPECT_EQ(head, sha256_hex(last_line(text)) + "\n");
    EXPECT_EQ((fs::status(file_.string() + ".head").permissions() & fs::perms::all),
              fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_TRUE(verify_audit_file(file_).empty());
}

TEST_F(AuditLogTest, AReopenedLogContinuesTheChain) {
    { AuditLog(file_).append(entry("ok")); }
    { AuditLog(file_).append(entry("ok")); }
    EXPECT_TRUE(verify_audit_file(file_).empty());
    EXPECT_EQ(read(file_.string() + ".head").size(), 65u);
}

TEST_F(AuditLogTest, ARemovedLastLineOrAnAlteredOneIsFound) {
    {
        AuditLog log(file_);
        log.append(entry("ok"));
        log.append(entry("ok"));
    }
    const std::string text = read(file_);
    const std::string first = text.substr(0, text.find('\n') + 1);
    std::ofstream(file_, std::ios::binary | std::ios::trunc) << first;
    EXPECT_EQ(verify_audit_file(file_).size(), 1u) << "the head names the removed line";

    std::string altered = text;
    altered.replace(altered.find("\"ok\""), 4, "\"no\"");
    std::ofstream(file_, std::ios::binary | std::ios::trunc) << altered;
    EXPECT_FALSE(verify_audit_file(file_).empty());
}

TEST_F(AuditLogTest, AHeadLongerThanOneRecordIsCutAtOpen) {
    fs::create_directories(dir_);
    std::ofstream(file_.string() + ".head") << std::string(100, 'x') << "\n";
    { AuditLog(file_).append(entry("ok")); }
    EXPECT_EQ(read(file_.string() + ".head").size(), 65u);
    EXPECT_TRUE(verify_audit_file(file_).empty());
}

TEST_F(AuditLogTest, AFreshLogWithNoLineVerifies) {
    { AuditLog log(file_); }
    EXPECT_TRUE(verify_audit_file(file_).empty());
}

}  // namespace
}  // namespace sithsd::daemon
