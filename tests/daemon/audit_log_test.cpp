// The audit log's chain and its head record (FILE.head, one 86-byte record rewritten in place):
// appended lines verify, a reopened log continues the chain, a removed or altered line is found;
// one writer per log (a second process is refused, naming the first); a log found apart from its
// head at open gets a tamper line, which verify reports from then on.
#include "daemon/audit_log.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/digest.hpp"
#include "daemon/audit_lock.hpp"
#include "daemon/audit_verify.hpp"

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

    static std::vector<std::string> lines_of(const std::string& text) {
        std::vector<std::string> lines;
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) lines.push_back(line);
        return lines;
    }
    std::string head() const { return read(file_.string() + ".head"); }
    void write(const fs::path& path, const std::string& text) const {
        std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    }
    void write_lines(const std::vector<std::string>& lines, std::size_t count) const {
        std::string text;
        for (std::size_t i = 0; i < count; ++i) text += lines[i] + "\n";
        write(file_, text);
    }
    void append_lines(int count) const {
        AuditLog log(file_);
        for (int i = 0; i < count; ++i) log.append(entry("ok"));
    }
    // The tamper lines of the log, as JSON.
    std::vector<boost::json::object> tamper_lines() const {
        std::vector<boost::json::object> found;
        for (const auto& line : lines_of(read(file_))) {
            auto value = boost::json::parse(line);
            if (value.as_object().at("method") == "tamper") found.push_back(value.as_object());
        }
        return found;
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
    EXPECT_EQ(head.size(), 86u);
    EXPECT_EQ(head, sha256_hex(last_line(text)) + " 00000000000000000003\n");
    EXPECT_EQ((fs::status(file_.string() + ".head").permissions() & fs::perms::all),
              fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_TRUE(verify_audit_file(file_).empty());
}

TEST_F(AuditLogTest, AReopenedLogContinuesTheChain) {
    { AuditLog(file_).append(entry("ok")); }
    { AuditLog(file_).append(entry("ok")); }
    EXPECT_TRUE(verify_audit_file(file_).empty());
    EXPECT_EQ(head(), format_audit_head(sha256_hex(last_line(read(file_))), 2));
    EXPECT_TRUE(tamper_lines().empty());
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

TEST_F(AuditLogTest, AFreshLogWithNoLineVerifies) {
    { AuditLog log(file_); }
    EXPECT_TRUE(verify_audit_file(file_).empty());
}

TEST_F(AuditLogTest, AHeadOfTheOlderFormIsRewrittenWithItsCountAndNoTamperLine) {
    append_lines(2);
    const std::string hash = sha256_hex(last_line(read(file_)));
    write(file_.string() + ".head", hash + "\n");  // 65 bytes: the record before line counts
    EXPECT_TRUE(verify_audit_file(file_).empty());
    { AuditLog log(file_); }
    EXPECT_EQ(head(), format_audit_head(hash, 2));
    EXPECT_TRUE(tamper_lines().empty());
}

TEST_F(AuditLogTest, ALogCutBackWhileStoppedGetsATamperLineAtOpen) {
    append_lines(5);
    write_lines(lines_of(read(file_)), 3);
    append_lines(1);  // the daemon started again and served a request
    const auto tamper = tamper_lines();
    ASSERT_EQ(tamper.size(), 1u);
    EXPECT_EQ(tamper[0].at("linesExpected").to_number<std::uint64_t>(), 5u);
    EXPECT_EQ(tamper[0].at("linesPresent").to_number<std::uint64_t>(), 3u);
    EXPECT_EQ(tamper[0].at("result"), "HEAD_MISMATCH");
    const auto lines = lines_of(read(file_));
    ASSERT_EQ(lines.size(), 5u);  // 3 kept, the tamper line, the new one
    EXPECT_NE(lines[3].find("\"method\":\"tamper\""), std::string::npos);
    // The chain and head are whole again; the tamper line alone is reported, every time.
    const auto problems = verify_audit_file(file_);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].line, 4u);
    EXPECT_TRUE(problems[0].tamper);
    EXPECT_NE(problems[0].problem.find("5 lines expected, 3 present"), std::string::npos)
        << problems[0].problem;
    { AuditLog log(file_); }
    EXPECT_EQ(tamper_lines().size(), 1u) << "a consistent log gets no second tamper line";
}

TEST_F(AuditLogTest, AMissingOrEmptyHeadOfANonEmptyLogIsAMismatch) {
    for (const bool missing : {true, false}) {
        fs::remove_all(dir_);
        append_lines(2);
        const fs::path head_file = file_.string() + ".head";
        if (missing)
            fs::remove(head_file);
        else
            write(head_file, "");
        const auto problems = verify_audit_file(file_);
        ASSERT_EQ(problems.size(), 1u);
        EXPECT_NE(problems[0].problem.find(missing ? "is missing" : "is empty"), std::string::npos);
        { AuditLog log(file_); }
        const auto tamper = tamper_lines();
        ASSERT_EQ(tamper.size(), 1u);
        EXPECT_TRUE(tamper[0].at("linesExpected").is_null());
        EXPECT_EQ(tamper[0].at("linesPresent").to_number<std::uint64_t>(), 2u);
    }
}

TEST_F(AuditLogTest, AHeadNamingAnotherLineOrNoRecordIsAMismatch) {
    append_lines(4);
    const auto lines = lines_of(read(file_));
    write(file_.string() + ".head", format_audit_head(sha256_hex(lines[1]), 4));
    EXPECT_EQ(verify_audit_file(file_).size(), 1u);
    { AuditLog log(file_); }
    auto tamper = tamper_lines();
    ASSERT_EQ(tamper.size(), 1u);
    EXPECT_NE(std::string(tamper[0].at("found").as_string()).find("line 2 of 4"),
              std::string::npos);

    write(file_.string() + ".head", std::string(100, 'x') + "\n");
    { AuditLog log(file_); }
    tamper = tamper_lines();
    ASSERT_EQ(tamper.size(), 2u);
    EXPECT_NE(std::string(tamper[1].at("found").as_string()).find("no head record"),
              std::string::npos);
    EXPECT_EQ(head().size(), kAuditHeadRecord) << "rewritten as one record";
}

TEST_F(AuditLogTest, AnUnfinishedLastLineIsCutWithoutATamperLine) {
    append_lines(2);
    std::ofstream(file_, std::ios::binary | std::ios::app) << "{\"time\":\"2026";  // a crash
    EXPECT_EQ(verify_audit_file(file_).size(), 1u);
    append_lines(1);
    EXPECT_TRUE(tamper_lines().empty());
    EXPECT_TRUE(verify_audit_file(file_).empty());
}

TEST_F(AuditLogTest, AnAnchorFindsARollbackOfLogAndHeadTogether) {
    append_lines(2);
    const std::string early_log = read(file_), early_head = head();
    append_lines(2);
    const auto anchor =
        parse_audit_anchor("4:" + sha256_hex(last_line(read(file_))));  // what `audit head` printed
    ASSERT_TRUE(anchor);
    EXPECT_TRUE(verify_audit_file(file_, {*anchor}).empty());
    write(file_, early_log);
    write(file_.string() + ".head", early_head);
    EXPECT_TRUE(verify_audit_file(file_).empty()) << "consistent in itself";
    EXPECT_EQ(verify_audit_file(file_, {*anchor}).size(), 1u);
    EXPECT_FALSE(parse_audit_anchor("4"));
    EXPECT_FALSE(parse_audit_anchor("0:" + std::string(64, 'a')));
    EXPECT_FALSE(parse_audit_anchor("x:" + std::string(64, 'a')));
}

// POSIX record locks belong to a process: the second writer must be another process.
TEST_F(AuditLogTest, ASecondWriterIsRefusedNamingTheFirstAndMayOpenOnceItIsGone) {
    auto other_process_opens = [this]() -> int {
        const pid_t child = fork();
        if (child == 0) {
            try {
                AuditLog second(file_);
                _exit(0);  // opened
            } catch (const AuditLogInUse& e) {
                _exit(e.holder() == getppid() ? 1 : 2);
            } catch (...) {
                _exit(3);
            }
        }
        int status = 0;
        waitpid(child, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    {
        AuditLog first(file_);
        first.append(entry("ok"));
        EXPECT_EQ(other_process_opens(), 1) << "refused, naming this process";
        first.append(entry("ok"));
    }
    EXPECT_EQ(other_process_opens(), 0);
    EXPECT_TRUE(verify_audit_file(file_).empty());
}

}  // namespace
}  // namespace sithsd::daemon
