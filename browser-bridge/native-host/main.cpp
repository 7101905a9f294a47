// sithsd-native-host: started by the browser for the sithsd extension (native messaging), one
// process per browser profile. Relays each page's requests to the user's sithsd over its Unix
// socket (relay.hpp) and starts nothing itself: the socket unit starts the daemon.
// Exit codes: 0 at the end of input, 1 when the input or output broke, 2 for a wrong caller.
#include <poll.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string_view>
#include <vector>

#include "browser-bridge/native-host/caller.hpp"
#include "browser-bridge/native-host/frame.hpp"
#include "browser-bridge/native-host/relay.hpp"
#include "common/socket_path.hpp"

namespace {

using namespace sithsd::native_host;

// The daemon's socket: $SITHSD_SOCKET (tests), else where sithsd puts it by default.
std::filesystem::path socket_path() {
    return sithsd::client_socket_path();
}

// Writes one envelope to the browser; an answer over 1 MiB becomes an error answer.
void send_to_extension(const boost::json::object& envelope) {
    std::string body = boost::json::serialize(envelope);
    if (body.size() > max_outgoing_frame) {
        const auto* message = envelope.at("message").as_object().if_contains("id");
        if (!message) {
            std::cerr << "sithsd-native-host: dropped a notification over 1 MiB\n";
            return;
        }
        body = boost::json::serialize(boost::json::object{
            {"channel", envelope.at("channel")},
            {"message", error_answer(*message, -32603, "ANSWER_TOO_LARGE",
                                     "The answer is over the browser's 1 MiB limit.")}});
    }
    write_frame(STDOUT_FILENO, body);
}

int relay_until_end(Relay& relay) {
    for (;;) {
        relay.forward_buffered();
        std::vector<pollfd> fds{{STDIN_FILENO, POLLIN, 0}};
        for (int handle : relay.handles()) fds.push_back({handle, POLLIN, 0});
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            std::cerr << "sithsd-native-host: poll failed\n";
            return 1;
        }
        for (std::size_t i = 1; i < fds.size(); ++i)
            if (fds[i].revents != 0) relay.from_daemon(fds[i].fd);
        if (fds[0].revents == 0) continue;
        try {
            auto body = read_frame(STDIN_FILENO);
            if (!body) return 0;  // the browser closed the port
            relay.from_extension(*body);
        } catch (const FrameError& e) {
            std::cerr << "sithsd-native-host: " << e.what() << "\n";
            if (e.failure() == FrameFailure::too_large) {
                send_to_extension({{"channel", nullptr},
                                   {"message", error_answer(nullptr, -32600, "MESSAGE_TOO_LARGE",
                                                            "The message is over 4 MiB.")}});
                continue;
            }
            if (e.failure() == FrameFailure::unframed)
                send_to_extension({{"channel", nullptr},
                                   {"message", error_answer(nullptr, -32700, "PARSE_ERROR",
                                                            "The input is not framed.")}});
            return 1;
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);  // a closed stdout is a write error, handled below
    std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    if (!called_by_our_extension(args)) {
        std::cerr << "sithsd-native-host: not started by the sithsd extension\n";
        return 2;
    }
    try {
        Relay relay({.socket_path = socket_path()}, send_to_extension);
        return relay_until_end(relay);
    } catch (const FrameError& e) {  // stdout broke: the browser is gone
        std::cerr << "sithsd-native-host: " << e.what() << "\n";
        return 1;
    }
}
