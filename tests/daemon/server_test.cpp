// The Server with a handler that keeps requests pending: on shutdown the handler's answers reach
// the clients before the connections close (Unix: then EOF; WebSocket: then close 1001).
// Clients are plain POSIX sockets (no second Beast translation unit).
#include "daemon/server.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace sithsd;
using namespace sithsd::daemon;
using namespace std::chrono_literals;

namespace {

constexpr const char* shutting_down =
    R"({"jsonrpc":"2.0","id":1,"error":{"code":1016,"message":"The daemon is stopping","data":{"reason":"SHUTTING_DOWN"}}})";

// Keeps every request pending until on_shutdown answers them all.
class PendingHandler : public MessageHandler {
  public:
    void on_open(std::shared_ptr<Connection> c) override {
        std::lock_guard lock(mutex_);
        ++opens;
        peers.push_back(c->peer());
        cv_.notify_all();
    }
    void on_message(std::shared_ptr<Connection> c, std::string text) override {
        if (text == "bye") {  // answer, then close from the handler's side
            c->send("ok");
            c->close();
            return;
        }
        std::lock_guard lock(mutex_);
        messages.push_back(text);
        pending.push_back(std::move(c));
        cv_.notify_all();
    }
    void on_close(std::shared_ptr<Connection> c) override {
        std::lock_guard lock(mutex_);
        ++closes;
        std::erase(pending, c);
        cv_.notify_all();
    }
    void on_shutdown() override {
        std::lock_guard lock(mutex_);
        ++shutdowns;
        for (auto& c : pending) c->send(shutting_down);
        pending.clear();
    }
    template <class Pred>
    bool wait(Pred pred) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, 10s, pred);
    }

    int opens = 0, closes = 0, shutdowns = 0;
    std::vector<Peer> peers;
    std::vector<std::string> messages;
    std::vector<std::shared_ptr<Connection>> pending;

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
};

std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// Reads what arrives until EOF or 10 s.
std::string read_to_eof(int fd) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) return out;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ADD_FAILURE() << "no EOF within 10 s";
    return out;
}

struct ServerTest : ::testing::Test {
    std::filesystem::path dir;
    std::uint16_t port = free_port();
    PendingHandler handler;
    std::unique_ptr<Server> server;
    std::thread runner;

    void SetUp() override {
        dir = std::filesystem::temp_directory_path() /
              ("sithsd-server-test-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        ServerOptions options;
        options.port = port;
        options.unix_socket = dir / "run" / "s.sock";
        server = std::make_unique<Server>(options, handler);
        runner = std::thread([this] { server->run(); });
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!std::filesystem::exists(options.unix_socket) &&
               std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(5ms);  // polling a condition, with a deadline
        ASSERT_TRUE(std::filesystem::exists(options.unix_socket));
    }
    void TearDown() override {
        server->stop();
        if (runner.joinable()) runner.join();
        std::filesystem::remove_all(dir);
    }

    int unix_client() {
        int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::string path = (dir / "run" / "s.sock").string();
        std::copy(path.begin(), path.end(), addr.sun_path);
        // The socket file appears at bind(), a moment before listen(): retry, with a deadline.
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        int rc = -1;
        while ((rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr)) != 0 &&
               std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(5ms);
        EXPECT_EQ(rc, 0);
        return fd;
    }
};

}  // namespace

TEST_F(ServerTest, UnixPeerIsDescribedAndClosesAreReported) {
    int fd = unix_client();
    ASSERT_TRUE(handler.wait([&] { return handler.opens == 1; }));
    EXPECT_EQ(handler.peers[0].transport, Transport::unix_socket);
    EXPECT_EQ(handler.peers[0].pid, ::getpid());
    EXPECT_EQ(handler.peers[0].uid, ::getuid());
    EXPECT_EQ(handler.peers[0].program, std::filesystem::read_symlink("/proc/self/exe").string());
    ::close(fd);
    ASSERT_TRUE(handler.wait([&] { return handler.closes == 1; }));
}

TEST_F(ServerTest, PendingUnixRequestIsAnsweredBeforeShutdownCloses) {
    int fd = unix_client();
    std::string request = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sign\"}\n";
    ASSERT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
    ASSERT_TRUE(handler.wait([&] { return handler.pending.size() == 1; }));
    EXPECT_EQ(handler.messages[0], request.substr(0, request.size() - 1));
    server->stop();
    EXPECT_EQ(read_to_eof(fd), std::string(shutting_down) + "\n");
    ::close(fd);
    runner.join();
    EXPECT_EQ(handler.shutdowns, 1);
    EXPECT_EQ(handler.closes, 1);
    EXPECT_FALSE(std::filesystem::exists(dir / "run" / "s.sock"));
}

TEST_F(ServerTest, PendingWebSocketRequestIsAnsweredThenClose1001) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::string upgrade = "GET /v1 HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\nOrigin: https://a.example.se\r\n\r\n";
    ASSERT_EQ(::write(fd, upgrade.data(), upgrade.size()), static_cast<ssize_t>(upgrade.size()));
    ASSERT_TRUE(handler.wait([&] { return handler.opens == 1; }));
    EXPECT_EQ(handler.peers[0].origin_text(), "https://a.example.se");
    EXPECT_EQ(handler.peers[0].transport, Transport::websocket);

    // One masked text frame (clients must mask; RFC 6455 5.3).
    std::string payload = R"({"jsonrpc":"2.0","id":1,"method":"sign"})";
    const unsigned char mask[4] = {1, 2, 3, 4};
    std::string frame = {static_cast<char>(0x81), static_cast<char>(0x80 | payload.size())};
    frame.append(reinterpret_cast<const char*>(mask), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        frame.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
    ASSERT_EQ(::write(fd, frame.data(), frame.size()), static_cast<ssize_t>(frame.size()));
    ASSERT_TRUE(handler.wait([&] { return handler.pending.size() == 1; }));
    EXPECT_EQ(handler.messages[0], payload);

    server->stop();
    std::string in = read_to_eof(fd);
    std::size_t body = in.find("\r\n\r\n");
    ASSERT_NE(body, std::string::npos);
    EXPECT_EQ(in.substr(0, 12), "HTTP/1.1 101");
    std::string frames = in.substr(body + 4);
    // First frame: the text answer (server frames are unmasked).
    ASSERT_GE(frames.size(), 4u);
    EXPECT_EQ(static_cast<unsigned char>(frames[0]), 0x81);
    std::size_t length = static_cast<unsigned char>(frames[1]);
    std::size_t offset = 2;
    if (length == 126) {
        length =
            (static_cast<unsigned char>(frames[2]) << 8) | static_cast<unsigned char>(frames[3]);
        offset = 4;
    }
    ASSERT_GE(frames.size(), offset + length + 4);
    EXPECT_EQ(frames.substr(offset, length), shutting_down);
    // Then the close frame with code 1001 (going away).
    std::string close = frames.substr(offset + length);
    EXPECT_EQ(static_cast<unsigned char>(close[0]), 0x88);
    ASSERT_GE(static_cast<unsigned char>(close[1]), 2);
    EXPECT_EQ((static_cast<unsigned char>(close[2]) << 8) | static_cast<unsigned char>(close[3]),
              1001);
    ::close(fd);
    runner.join();
    EXPECT_EQ(handler.closes, 1);
}

TEST_F(ServerTest, HandlerCanCloseAfterItsAnswer) {
    int fd = unix_client();
    ASSERT_EQ(::write(fd, "bye\n", 4), 4);
    EXPECT_EQ(read_to_eof(fd), "ok\n");
    ::close(fd);
    ASSERT_TRUE(handler.wait([&] { return handler.closes == 1; }));
    // The daemon goes on serving others.
    int other = unix_client();
    ASSERT_TRUE(handler.wait([&] { return handler.opens == 2; }));
    ::close(other);
}

// The daemon's end of a WebSocket connection has Nagle's algorithm off: an answer that goes out
// in several writes must not wait for the client's delayed ACK (40 ms per listCertificates, found
// by bench/run-bench). The server runs in this process, so the test finds the accepted socket
// among its own descriptors (local port = the server's, peer port = the client's) and asks it.
TEST_F(ServerTest, WebSocketConnectionsHaveNagleOff) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::string upgrade = "GET /v1 HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\nOrigin: https://a.example.se\r\n\r\n";
    ASSERT_EQ(::write(fd, upgrade.data(), upgrade.size()), static_cast<ssize_t>(upgrade.size()));
    ASSERT_TRUE(handler.wait([&] { return handler.opens == 1; }));
    sockaddr_in mine{};
    socklen_t len = sizeof mine;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&mine), &len), 0);

    int server_end = -1;
    DIR* fds = ::opendir("/proc/self/fd");
    ASSERT_NE(fds, nullptr);
    while (dirent* entry = ::readdir(fds)) {
        int candidate = std::atoi(entry->d_name);
        if (candidate == fd || candidate <= 2) continue;
        sockaddr_in local{}, peer{};
        socklen_t l1 = sizeof local, l2 = sizeof peer;
        if (::getsockname(candidate, reinterpret_cast<sockaddr*>(&local), &l1) != 0 ||
            local.sin_family != AF_INET ||
            ::getpeername(candidate, reinterpret_cast<sockaddr*>(&peer), &l2) != 0)
            continue;
        if (local.sin_port == htons(port) && peer.sin_port == mine.sin_port) server_end = candidate;
    }
    ::closedir(fds);
    ASSERT_GE(server_end, 0) << "the accepted socket was not found";
    int nodelay = 0;
    socklen_t size = sizeof nodelay;
    ASSERT_EQ(::getsockopt(server_end, IPPROTO_TCP, TCP_NODELAY, &nodelay, &size), 0);
    EXPECT_EQ(nodelay, 1);
    ::close(fd);
}
