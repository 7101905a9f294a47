// Native-messaging framing (Chrome and Firefox): each message is a 32-bit length in the
// machine's byte order, then that many bytes of UTF-8 JSON. The browser sends the host at most
// 64 MiB; the host sends the browser at most 1 MiB. Reads are exact and bounded: the length is
// checked before anything is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sithsd::native_host {

// Chrome's limit for a message from the host to the extension.
inline constexpr std::size_t max_outgoing_frame = 1024 * 1024;
// Our limit for a message from the extension: a sign request carries at most 1 MiB of data in
// base64 plus the text to show; 4 MiB leaves room and bounds memory.
inline constexpr std::size_t max_incoming_frame = 4 * 1024 * 1024;
// Beyond this the length cannot come from a browser (Chrome's own limit), so the stream is not
// framed and cannot be resynchronised.
inline constexpr std::size_t max_skippable_frame = 64 * 1024 * 1024;

enum class FrameFailure {
    truncated,  // end of input inside a length or a body
    too_large,  // a length over max_incoming_frame whose body was skipped: the stream is intact
    unframed,   // a length no browser sends: the stream cannot be trusted any more
    io,         // a read or write error
};

class FrameError : public std::runtime_error {
  public:
    FrameError(FrameFailure failure, const std::string& message)
        : std::runtime_error(message), failure_(failure) {}
    [[nodiscard]] FrameFailure failure() const { return failure_; }

  private:
    FrameFailure failure_;
};

// The next message's body from `fd`, or nullopt at a clean end of input (EOF before a length).
// Blocks until the whole frame is read (the browser writes whole frames). Throws FrameError.
std::optional<std::string> read_frame(int fd, std::size_t limit = max_incoming_frame);

// Writes one frame to `fd`. Throws FrameError(io) on a write error and std::length_error when
// `body` is over max_outgoing_frame (the caller sends an error answer instead).
void write_frame(int fd, std::string_view body);

}  // namespace sithsd::native_host
