// LocalClient against a tiny scripted server on a temporary Unix socket: answers, notifications,
// error answers, deadlines, a server that closes, lines over the limit, no daemon at all.
#include "client/local_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "tests/client/scripted_server.hpp"

namespace sithsd::client {
namespace {

using namespace std::chrono_literals;
using test_support::Clock;
using test_support::Fd;
using test_support::ScriptedPeer;

class LocalClientTest : public test_support::ScriptedServerTest {
  protected:
    LocalClient connect(LocalClientOptions options = {}) {
        return LocalClient::connect(path_, 2s, options);
    }
};

std::string answer(std::int64_t id, const std::string& result) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"result":)" + result + "}\n";
}

LocalClientFailure failure_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const LocalClientError& e) {
        return e.failure();
    }
    ADD_FAILURE() << "no LocalClientError thrown";
    return LocalClientFailure::io;
}

TEST_F(LocalClientTest, OneRequestOneAnswer) {
    std::string method;
    serve([&](ScriptedPeer& peer) {
        auto id = peer.read_request_id();
        method = peer.last_method();
        peer.write(answer(id, R"({"version":"1.2.3"})"));
    });
    auto client = connect();
    auto reply = client.call("status", {}, 2s);
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply.result.at("version").as_string(), "1.2.3");
    server_.join();
    EXPECT_EQ(method, "status");
}

TEST_F(LocalClientTest, NotificationsWhileWaitingGoToTheHandlerAndStaleAnswersAreDropped) {
    serve([](ScriptedPeer& peer) {
        auto id = peer.read_request_id();
        peer.write(R"({"jsonrpc":"2.0","method":"cardsChanged","params":{"cards":[]}})"
                   "\n");
        peer.write(answer(id + 100, R"("not yours")"));  // an id nobody waits for
        peer.write(answer(id, R"(["a","b"])"));
    });
    auto client = connect();
    std::vector<std::string> seen;
    client.on_notification([&](const LocalNotification& n) { seen.push_back(n.method); });
    auto reply = client.call("listCards", {}, 2s);
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply.result.as_array().size(), 2u);
    EXPECT_EQ(seen, std::vector<std::string>{"cardsChanged"});
}

TEST_F(LocalClientTest, NotificationsWithoutAHandlerAreKept) {
    serve([](ScriptedPeer& peer) {
        auto id = peer.read_request_id();
        peer.write(R"({"jsonrpc":"2.0","method":"certificateExpiring","params":{"daysLeft":5}})"
                   "\n");
        peer.write(answer(id, "{}"));
        peer.write(R"({"jsonrpc":"2.0","method":"cardsChanged","params":{}})"
                   "\n");
        peer.sees_close();
    });
    auto client = connect();
    ASSERT_TRUE(client.call("hello", {}, 2s).ok());
    auto first = client.next_notification(0ms);  // kept while the call waited
    ASSERT_TRUE(first);
    EXPECT_EQ(first->method, "certificateExpiring");
    EXPECT_EQ(first->params.at("daysLeft").as_int64(), 5);
    auto second = client.next_notification(2s);  // read from the socket
    ASSERT_TRUE(second);
    EXPECT_EQ(second->method, "cardsChanged");
    EXPECT_FALSE(client.next_notification(50ms));
    client.close();
}

TEST_F(LocalClientTest, ErrorAnswersAreReturnedWithTheirReason) {
    serve([](ScriptedPeer& peer) {
        auto id = peer.read_request_id();
        peer.write(R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
                   R"(,"error":{"code":1004,"message":"No card","data":{"reason":"NO_CARD"}}})"
                   "\n");
        peer.read_request_id();  // the daemon could not read this one: id null
        peer.write(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})"
                   "\n");
    });
    auto client = connect();
    auto reply = client.call("listCards", {}, 2s);
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.error->code, 1004);
    EXPECT_EQ(reply.error->reason, "NO_CARD");
    EXPECT_EQ(reply.error->message, "No card");
    auto second = client.call("hello", {}, 2s);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error->code, -32700);
    EXPECT_EQ(second.error->reason, "");
}

TEST_F(LocalClientTest, NoAnswerInTimeClosesTheConnection) {
    bool closed = false;
    serve([&](ScriptedPeer& peer) {
        peer.read_request_id();
        closed = peer.sees_close();  // the client gives up and goes, so the daemon cancels
    });
    auto client = connect();
    const auto start = Clock::now();
    EXPECT_EQ(failure_of([&] { client.call("sign", {}, 200ms); }), LocalClientFailure::timed_out);
    const auto waited = Clock::now() - start;
    EXPECT_GE(waited, 200ms);
    EXPECT_LT(waited, 2s);
    EXPECT_FALSE(client.is_open());
    server_.join();
    EXPECT_TRUE(closed);
    EXPECT_EQ(failure_of([&] { client.call("hello", {}, 1s); }), LocalClientFailure::closed);
}

TEST_F(LocalClientTest, ServerThatClosesIsReported) {
    serve([](ScriptedPeer& peer) {
        peer.read_request_id();
        peer.close();
    });
    auto client = connect();
    EXPECT_EQ(failure_of([&] { client.call("hello", {}, 2s); }), LocalClientFailure::closed);
    EXPECT_FALSE(client.is_open());
}

TEST_F(LocalClientTest, LineOverTheLimitIsRefused) {
    serve([](ScriptedPeer& peer) {
        peer.read_request_id();
        peer.write(std::string(4096, 'x'));  // no newline in sight
        peer.sees_close();
    });
    LocalClientOptions options;
    options.max_line = 1024;
    auto client = connect(options);
    EXPECT_EQ(failure_of([&] { client.call("hello", {}, 2s); }), LocalClientFailure::too_long);
}

TEST_F(LocalClientTest, CompleteLineOverTheLimitIsRefused) {
    serve([](ScriptedPeer& peer) {
        auto id = peer.read_request_id();
        peer.write(answer(id, "\"" + std::string(2000, 'y') + "\""));
        peer.sees_close();
    });
    LocalClientOptions options;
    options.max_line = 1024;
    auto client = connect(options);
    EXPECT_EQ(failure_of([&] { client.call("hello", {}, 2s); }), LocalClientFailure::too_long);
}

TEST_F(LocalClientTest, SomethingElseThanJsonRpcIsMalformed) {
    serve([](ScriptedPeer& peer) {
        peer.read_request_id();
        peer.write("HTTP/1.1 400 Bad Request\n");
        peer.sees_close();
    });
    auto client = connect();
    EXPECT_EQ(failure_of([&] { client.call("hello", {}, 2s); }), LocalClientFailure::malformed);
}

TEST_F(LocalClientTest, NoDaemonAtThePath) {
    EXPECT_EQ(failure_of([&] { connect(); }), LocalClientFailure::not_running);
    // A socket file that nobody listens on any more (a daemon that died).
    Fd stale(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path_.c_str());
    ASSERT_EQ(::bind(stale.fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    try {
        connect();
        ADD_FAILURE() << "connected to a socket nobody listens on";
    } catch (const LocalClientError& e) {
        EXPECT_EQ(e.failure(), LocalClientFailure::not_running);
        EXPECT_NE(std::string(e.what()).find(path_.string()), std::string::npos);
    }
}

}  // namespace
}  // namespace sithsd::client
