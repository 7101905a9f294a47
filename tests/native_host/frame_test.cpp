// Framing over real pipes: exact reads, the length checked before allocation, oversized bodies
// skipped so that the next message still reads, truncation and unframed input refused.
#include "browser-bridge/native-host/frame.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace sithsd::native_host {
namespace {

// A pipe whose write end is closed after `input` is written: the reader sees EOF after it.
class Input {
  public:
    explicit Input(const std::string& input) {
        EXPECT_EQ(::pipe(fds_), 0);
        // Written from a child so that inputs larger than the pipe buffer do not block the test.
        if (::fork() == 0) {
            ::close(fds_[0]);
            std::size_t sent = 0;
            while (sent < input.size()) {
                ssize_t n = ::write(fds_[1], input.data() + sent, input.size() - sent);
                if (n <= 0) ::_exit(1);
                sent += static_cast<std::size_t>(n);
            }
            ::_exit(0);
        }
        ::close(fds_[1]);
    }
    ~Input() { ::close(fds_[0]); }
    [[nodiscard]] int fd() const { return fds_[0]; }

  private:
    int fds_[2] = {-1, -1};
};

std::string length_prefix(std::uint32_t length) {
    std::string prefix(sizeof length, '\0');
    std::memcpy(prefix.data(), &length, sizeof length);
    return prefix;
}

std::string framed(const std::string& body) {
    return length_prefix(static_cast<std::uint32_t>(body.size())) + body;
}

FrameFailure failure_of(int fd, std::size_t limit = max_incoming_frame) {
    try {
        (void)read_frame(fd, limit);
    } catch (const FrameError& e) {
        return e.failure();
    }
    ADD_FAILURE() << "no FrameError";
    return FrameFailure::io;
}

TEST(Frame, ReadsMessagesInOrderThenEnds) {
    Input in(framed(R"({"a":1})") + framed("") + framed(R"({"b":2})"));
    EXPECT_EQ(read_frame(in.fd()), R"({"a":1})");
    EXPECT_EQ(read_frame(in.fd()), "");
    EXPECT_EQ(read_frame(in.fd()), R"({"b":2})");
    EXPECT_EQ(read_frame(in.fd()), std::nullopt);
}

TEST(Frame, LengthIsInNativeByteOrder) {
    std::uint32_t length = 3;
    std::string prefix(4, '\0');
    std::memcpy(prefix.data(), &length, 4);
    Input in(prefix + "abc");
    EXPECT_EQ(read_frame(in.fd()), "abc");
}

TEST(Frame, TruncatedLengthIsRefused) {
    Input in(std::string("\x05\x00", 2));
    EXPECT_EQ(failure_of(in.fd()), FrameFailure::truncated);
}

TEST(Frame, TruncatedBodyIsRefused) {
    Input in(length_prefix(10) + "abc");
    EXPECT_EQ(failure_of(in.fd()), FrameFailure::truncated);
}

TEST(Frame, OversizedBodyIsSkippedAndTheNextMessageReads) {
    Input in(framed(std::string(100, 'x')) + framed("next"));
    EXPECT_EQ(failure_of(in.fd(), 50), FrameFailure::too_large);
    EXPECT_EQ(read_frame(in.fd(), 50), "next");
}

TEST(Frame, ALengthNoBrowserSendsIsRefusedWithoutReadingOrAllocating) {
    Input in(length_prefix(0xFFFFFFF0u) + "abc");
    EXPECT_EQ(failure_of(in.fd()), FrameFailure::unframed);
}

TEST(Frame, WritesWhatReadReads) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    write_frame(fds[1], R"({"ok":true})");
    ::close(fds[1]);
    EXPECT_EQ(read_frame(fds[0]), R"({"ok":true})");
    EXPECT_EQ(read_frame(fds[0]), std::nullopt);
    ::close(fds[0]);
}

TEST(Frame, WriteRefusesOverOneMebibyte) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    EXPECT_THROW(write_frame(fds[1], std::string(max_outgoing_frame + 1, 'x')), std::length_error);
    ::close(fds[0]);
    ::close(fds[1]);
}

}  // namespace
}  // namespace sithsd::native_host
