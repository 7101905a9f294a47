#include "browser-bridge/native-host/frame.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace sithsd::native_host {
namespace {

// Reads exactly `size` bytes; returns how many came before EOF (== size unless EOF).
std::size_t read_exactly(int fd, char* out, std::size_t size) {
    std::size_t got = 0;
    while (got < size) {
        ssize_t n = ::read(fd, out + got, size - got);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            throw FrameError(FrameFailure::io, std::string("read: ") + std::strerror(errno));
        }
        got += static_cast<std::size_t>(n);
    }
    return got;
}

void skip_exactly(int fd, std::size_t size) {
    std::array<char, 65536> sink{};
    while (size > 0) {
        const std::size_t chunk = size < sink.size() ? size : sink.size();
        if (read_exactly(fd, sink.data(), chunk) != chunk)
            throw FrameError(FrameFailure::truncated, "input ended inside an oversized message");
        size -= chunk;
    }
}

}  // namespace

std::optional<std::string> read_frame(int fd, std::size_t limit) {
    std::uint32_t length = 0;
    char prefix[sizeof length];
    const std::size_t got = read_exactly(fd, prefix, sizeof prefix);
    if (got == 0) return std::nullopt;
    if (got != sizeof prefix)
        throw FrameError(FrameFailure::truncated, "input ended inside a length");
    std::memcpy(&length, prefix, sizeof length);  // native byte order, as the browser writes it
    if (length > max_skippable_frame)
        throw FrameError(FrameFailure::unframed,
                         "length " + std::to_string(length) + " is not from a browser");
    if (length > limit) {
        skip_exactly(fd, length);
        throw FrameError(FrameFailure::too_large, "message of " + std::to_string(length) +
                                                      " bytes is over " + std::to_string(limit));
    }
    std::string body(length, '\0');
    if (read_exactly(fd, body.data(), length) != length)
        throw FrameError(FrameFailure::truncated, "input ended inside a message");
    return body;
}

void write_frame(int fd, std::string_view body) {
    if (body.size() > max_outgoing_frame)
        throw std::length_error("message of " + std::to_string(body.size()) +
                                " bytes is over the browser's 1 MiB limit");
    const auto length = static_cast<std::uint32_t>(body.size());
    std::string frame(sizeof length, '\0');
    std::memcpy(frame.data(), &length, sizeof length);
    frame.append(body);
    std::size_t sent = 0;
    while (sent < frame.size()) {
        ssize_t n = ::write(fd, frame.data() + sent, frame.size() - sent);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw FrameError(FrameFailure::io, std::string("write: ") + std::strerror(errno));
        }
        sent += static_cast<std::size_t>(n);
    }
}

}  // namespace sithsd::native_host
