#include "bench/load_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sithsd::bench {
namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write");
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

// The client's side of RFC 6455 §4.1, blocking, before the socket joins the loop.
void upgrade(int fd, const Target& target) {
    std::string request = "GET /v1 HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(target.port) +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\nOrigin: " +
                          target.origin + "\r\n\r\n";
    write_all(fd, request);
    std::string head;
    char c;
    while (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) {
        ssize_t n = ::read(fd, &c, 1);
        if (n <= 0) throw std::runtime_error("handshake: connection closed");
        head.push_back(c);
        if (head.size() > 16384) throw std::runtime_error("handshake: answer too long");
    }
    if (head.compare(0, 12, "HTTP/1.1 101") != 0)
        throw std::runtime_error("handshake refused: " + head.substr(0, head.find('\r')));
}

}  // namespace

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

long response_id(std::string_view m, bool* error) {
    constexpr std::string_view prefix = "{\"jsonrpc\":\"2.0\",\"id\":";
    if (m.substr(0, prefix.size()) != prefix) return -1;
    std::size_t i = prefix.size();
    long id = 0;
    bool digits = false;
    while (i < m.size() && m[i] >= '0' && m[i] <= '9') {
        id = id * 10 + (m[i] - '0');
        ++i;
        digits = true;
    }
    if (!digits) return -1;
    if (error) *error = m.substr(i, 9) == ",\"error\":";
    return id;
}

Connection::Connection(Loop& loop, int fd, bool websocket)
    : loop_(loop), fd_(fd), websocket_(websocket) {}

Connection::~Connection() {
    if (fd_ >= 0) ::close(fd_);
}

void Connection::send(std::string_view message) {
    if (fd_ < 0) return;
    if (websocket_) {
        // Client frames are masked (RFC 6455 §5.3); the key's value does not matter here.
        const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
        std::size_t n = message.size();
        out_.push_back(static_cast<char>(0x81));
        if (n < 126) {
            out_.push_back(static_cast<char>(0x80 | n));
        } else if (n < 65536) {
            out_.push_back(static_cast<char>(0x80 | 126));
            out_.push_back(static_cast<char>(n >> 8));
            out_.push_back(static_cast<char>(n & 0xff));
        } else {
            out_.push_back(static_cast<char>(0x80 | 127));
            for (int s = 56; s >= 0; s -= 8) out_.push_back(static_cast<char>((n >> s) & 0xff));
        }
        out_.append(reinterpret_cast<const char*>(key), 4);
        std::size_t start = out_.size();
        out_.append(message);
        for (std::size_t i = 0; i < n; ++i)
            out_[start + i] = static_cast<char>(out_[start + i] ^ key[i % 4]);
    } else {
        out_.append(message);
        out_.push_back('\n');
    }
    flush();
}

void Connection::flush() {
    while (!out_.empty()) {
        ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                if (!want_write_) {
                    want_write_ = true;
                    loop_.watch(*this, true);
                }
                return;
            }
            close();
            return;
        }
        out_.erase(0, static_cast<std::size_t>(n));
    }
    if (want_write_) {
        want_write_ = false;
        loop_.watch(*this, false);
    }
}

void Connection::close() {
    if (fd_ < 0) return;
    loop_.forget(*this);
    ::close(fd_);
    fd_ = -1;
    if (on_close) on_close(*this);
}

void Connection::writable() {
    flush();
}

void Connection::readable() {
    char buffer[65536];
    while (fd_ >= 0) {
        ssize_t n = ::read(fd_, buffer, sizeof buffer);
        if (n > 0) {
            in_.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        parse();
        close();
        return;
    }
    parse();
}

void Connection::parse() {
    std::size_t pos = 0;
    while (fd_ >= 0) {
        if (!websocket_) {
            std::size_t nl = in_.find('\n', pos);
            if (nl == std::string::npos) break;
            std::string_view line(in_.data() + pos, nl - pos);
            pos = nl + 1;
            if (on_message) on_message(*this, line);
            continue;
        }
        if (in_.size() - pos < 2) break;
        auto b0 = static_cast<unsigned char>(in_[pos]);
        auto b1 = static_cast<unsigned char>(in_[pos + 1]);
        std::size_t header = 2;
        std::uint64_t length = b1 & 0x7f;
        if (length == 126) {
            if (in_.size() - pos < 4) break;
            length = (static_cast<unsigned char>(in_[pos + 2]) << 8) |
                     static_cast<unsigned char>(in_[pos + 3]);
            header = 4;
        } else if (length == 127) {
            if (in_.size() - pos < 10) break;
            length = 0;
            for (int i = 0; i < 8; ++i)
                length = (length << 8) | static_cast<unsigned char>(in_[pos + 2 + i]);
            header = 10;
        }
        if (in_.size() - pos < header + length) break;
        std::string_view payload(in_.data() + pos + header, length);
        pos += header + length;
        int opcode = b0 & 0x0f;
        bool fin = b0 & 0x80;
        if (opcode == 0x8) {  // close: answer it and end
            const char close_frame[] = {
                static_cast<char>(0x88), static_cast<char>(0x80), 0, 0, 0, 0};
            out_.append(close_frame, sizeof close_frame);
            flush();
            close();
            return;
        }
        if (opcode == 0x9) {  // ping → pong with the same payload
            const unsigned char key[4] = {0, 0, 0, 0};
            out_.push_back(static_cast<char>(0x8a));
            out_.push_back(static_cast<char>(0x80 | payload.size()));
            out_.append(reinterpret_cast<const char*>(key), 4);
            out_.append(payload);
            flush();
            continue;
        }
        if (opcode == 0xa) continue;
        if (!fin || opcode == 0x0) {
            fragments_.append(payload);
            if (!fin) continue;
            std::string whole;
            whole.swap(fragments_);
            if (on_message) on_message(*this, whole);
            continue;
        }
        if (on_message) on_message(*this, payload);
    }
    if (fd_ >= 0) in_.erase(0, pos);
}

Loop::Loop() : epoll_(epoll_create1(EPOLL_CLOEXEC)) {
    if (epoll_ < 0) fail("epoll_create1");
}

Loop::~Loop() {
    connections_.clear();
    ::close(epoll_);
}

Connection& Loop::connect(const Target& target) {
    int fd;
    if (target.websocket) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) fail("socket");
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(target.port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
            ::close(fd);
            fail("connect");
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        try {
            upgrade(fd, target);
        } catch (...) {
            ::close(fd);
            throw;
        }
    } else {
        fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) fail("socket");
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, target.unix_path.c_str(), sizeof addr.sun_path - 1);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
            ::close(fd);
            fail("connect " + target.unix_path);
        }
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    connections_.push_back(
        std::unique_ptr<Connection>(new Connection(*this, fd, target.websocket)));
    Connection& c = *connections_.back();
    c.index = connections_.size() - 1;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &c;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) < 0) fail("epoll_ctl");
    return c;
}

void Loop::watch(Connection& c, bool write) {
    epoll_event ev{};
    ev.events = EPOLLIN | (write ? EPOLLOUT : 0u);
    ev.data.ptr = &c;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd_, &ev);
}

void Loop::forget(Connection& c) {
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd_, nullptr);
}

bool Loop::run_until(std::chrono::steady_clock::time_point deadline) {
    stopped_ = false;
    epoll_event events[256];
    while (!stopped_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        int n =
            epoll_wait(epoll_, events, 256, static_cast<int>(std::min<long>(left.count(), 100)));
        if (n < 0 && errno != EINTR) fail("epoll_wait");
        for (int i = 0; i < n; ++i) {
            auto* c = static_cast<Connection*>(events[i].data.ptr);
            if (c->fd_ < 0) continue;
            if (events[i].events & EPOLLOUT) c->writable();
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) c->readable();
        }
        if (on_tick) on_tick();
    }
    return true;
}

}  // namespace sithsd::bench
