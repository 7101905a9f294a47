// A tiny scripted sithsd for the client's tests: a Unix socket in a temporary folder, and a script
// per test that reads the client's requests and writes the answers it wants, on a thread of its
// own, every read with a deadline.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace sithsd::client::test_support {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// An owned file descriptor.
struct Fd {
    int fd = -1;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

// The server's side of one connection: blocking reads and writes, each with a deadline.
class ScriptedPeer {
  public:
    explicit ScriptedPeer(int fd) : fd_(fd) {}

    // One line (without "\n"), or "" when the client closed or 5 s passed.
    std::string read_line() {
        const auto deadline = Clock::now() + 5s;
        char c = 0;
        std::string line;
        while (Clock::now() < deadline) {
            pollfd p{fd_.fd, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            if (::read(fd_.fd, &c, 1) != 1) return "";
            if (c == '\n') return line;
            line.push_back(c);
        }
        return "";
    }
    // The next request, whole.
    boost::json::object read_request() {
        auto request = boost::json::parse(read_line()).as_object();
        last_method_ = request.at("method").as_string().c_str();
        return request;
    }
    // The id of the request just read.
    std::int64_t read_request_id() {
        auto request = boost::json::parse(read_line()).as_object();
        last_method_ = request.at("method").as_string().c_str();
        return request.at("id").as_int64();
    }
    void write(const std::string& text) {
        ASSERT_EQ(::write(fd_.fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    }
    // True when the client closes its end within 5 s.
    bool sees_close() {
        const auto deadline = Clock::now() + 5s;
        char c = 0;
        while (Clock::now() < deadline) {
            pollfd p{fd_.fd, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            if (::read(fd_.fd, &c, 1) <= 0) return true;
        }
        return false;
    }
    void close() {
        ::close(fd_.fd);
        fd_.fd = -1;
    }
    const std::string& last_method() const { return last_method_; }

  private:
    Fd fd_;
    std::string last_method_;
};

class ScriptedServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char pattern[] = "/tmp/sithsd-local-client-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        dir_ = pattern;
        path_ = dir_ / "s.sock";
    }
    void TearDown() override {
        if (server_.joinable()) server_.join();
        std::filesystem::remove_all(dir_);
    }

    // Listens at path_ and runs `script` on the first connection, on a thread of its own.
    void serve(std::function<void(ScriptedPeer&)> script) {
        listener_ = std::make_unique<Fd>(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strcpy(address.sun_path, path_.c_str());
        ASSERT_EQ(::bind(listener_->fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        ASSERT_EQ(::listen(listener_->fd, 4), 0);
        server_ = std::thread([this, script = std::move(script)] {
            pollfd p{listener_->fd, POLLIN, 0};
            if (::poll(&p, 1, 5000) != 1) return;  // no client came: the test fails on its own
            ScriptedPeer peer(::accept4(listener_->fd, nullptr, nullptr, SOCK_CLOEXEC));
            script(peer);
        });
    }

    std::filesystem::path dir_, path_;
    std::unique_ptr<Fd> listener_;
    std::thread server_;
};

}  // namespace sithsd::client::test_support
