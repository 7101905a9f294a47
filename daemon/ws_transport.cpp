// The WebSocket transport: listener, HTTP upgrade checks and the session. This is the only
// translation unit with Boost.Beast in it (each one costs 20-40 s and ~1 GB to compile).
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <optional>
#include <stdexcept>

#include "daemon/close_on_exec.hpp"
#include "daemon/handshake_check.hpp"
#include "daemon/listener.hpp"
#include "daemon/session_core.hpp"
#include "daemon/socket_owner.hpp"

namespace sithsd::daemon {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::string_view subprotocol = "sithsd.v1";

struct WsShared {
    TransportContext context;
    std::uint16_t port;
    OriginPolicy policy;
};

std::string endpoint_text(const tcp::socket& socket) {
    error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec) return "?";
    std::string address = remote.address().to_string();
    if (remote.address().is_v6()) address = "[" + address + "]";
    return address + ":" + std::to_string(remote.port());
}

TcpEndpoint diag_endpoint(const tcp::endpoint& endpoint) {
    TcpEndpoint out;
    out.port = endpoint.port();
    if (endpoint.address().is_v6()) {
        out.family = AF_INET6;
        auto bytes = endpoint.address().to_v6().to_bytes();
        std::copy(bytes.begin(), bytes.end(), out.address);
    } else {
        out.family = AF_INET;
        auto bytes = endpoint.address().to_v4().to_bytes();
        std::copy(bytes.begin(), bytes.end(), out.address);
    }
    return out;
}

// Empty when the client's socket belongs to our own uid; else why it is refused. The client's
// socket is the one whose local end is our remote end.
std::string foreign_peer(const tcp::socket& socket) {
    error_code remote_ec, local_ec;
    auto remote = socket.remote_endpoint(remote_ec);
    auto local = socket.local_endpoint(local_ec);
    if (remote_ec || local_ec) return "the connection is gone";
    OwnerResult owner = tcp_socket_owner(diag_endpoint(remote), diag_endpoint(local));
    if (const auto* why = std::get_if<std::string>(&owner))
        return "the uid of the client's socket is unknown (" + *why + ")";
    const unsigned uid = std::get<unsigned>(owner);
    if (uid == ::getuid()) return {};
    return "the client's socket belongs to uid " + std::to_string(uid) + ", not ours (" +
           std::to_string(::getuid()) + ")";
}

class WsSession : public SessionCore {
  public:
    WsSession(tcp::socket&& socket, const std::shared_ptr<const WsShared>& shared)
        : SessionCore(std::shared_ptr<const TransportContext>(shared, &shared->context),
                      socket.get_executor(), "ws"),
          shared_(shared),
          remote_(endpoint_text(socket)),
          ws_(std::move(socket)) {
        peer_.transport = Transport::websocket;
        peer_.authority = OriginAuthority::browser_handshake;
    }

  private:
    std::shared_ptr<WsSession> self() {
        return std::static_pointer_cast<WsSession>(shared_from_this());
    }

    void on_start() override {
        reserve(Pool::handshake);  // always room: the oldest in the HTTP phase makes way
        do_read_request();
    }

    // --- HTTP upgrade: every check before async_accept ---
    void do_read_request() {
        parser_.emplace();
        parser_->header_limit(8 * 1024);
        parser_->body_limit(0);
        beast::get_lowest_layer(ws_).expires_after(context().limits.handshake_timeout);
        http::async_read(
            beast::get_lowest_layer(ws_), buffer_, *parser_,
            [self = self()](error_code ec, std::size_t) { self->on_read_request(ec); });
    }

    void on_read_request(error_code ec) {
        if (ec == http::error::header_limit) {
            refuse(http::status::request_header_fields_too_large, "headers over 8 KiB");
            return;
        }
        if (ec) {
            if (ec != net::error::operation_aborted)
                spdlog::warn("ws #{} refused from {}: unreadable HTTP request ({})", id(), remote_,
                             ec.message());
            abort();
            return;
        }
        // Another user of this machine (a terminal server) must not reach our card; first of all.
        if (std::string why = foreign_peer(beast::get_lowest_layer(ws_).socket()); !why.empty()) {
            refuse(http::status::forbidden, why);
            return;
        }
        const auto& req = parser_->get();
        HandshakeRequest request;
        request.target = std::string_view(req.target().data(), req.target().size());
        auto host = req[http::field::host];
        request.host = std::string_view(host.data(), host.size());
        request.host_count = req.count(http::field::host);
        request.origin_count = req.count(http::field::origin);
        if (request.origin_count > 0) {
            auto origin = req[http::field::origin];
            request.origin = std::string_view(origin.data(), origin.size());
        }
        request.websocket_upgrade = websocket::is_upgrade(req);
        HandshakeVerdict verdict = check_handshake(request, shared_->policy, shared_->port);
        if (!verdict.accepted()) {
            refuse(static_cast<http::status>(verdict.status), verdict.reason);
            return;
        }
        peer_.origin = verdict.origin;
        peer_.origin_status = verdict.origin_status;
        // An origin without consent counts in its own small budget, so that a page cannot take
        // the places of the allowed ones.
        const Pool pool = context().handler.origin_allowed(peer_) ? Pool::allowed : Pool::untrusted;
        if (!reserve(pool)) {
            refuse(http::status::service_unavailable,
                   pool == Pool::allowed
                       ? "max_connections (" + std::to_string(context().limits.pools.allowed) +
                             ") reached"
                       : "connections of origins without consent (" +
                             std::to_string(context().limits.pools.untrusted) + ") reached");
            return;
        }
        auto offered = req[http::field::sec_websocket_protocol];
        const bool select =
            offers_subprotocol(std::string_view(offered.data(), offered.size()), subprotocol);

        beast::get_lowest_layer(ws_).expires_never();  // the websocket stream times itself now
        ws_.set_option(websocket::stream_base::timeout{context().limits.handshake_timeout,
                                                       websocket::stream_base::none(), false});
        ws_.set_option(websocket::stream_base::decorator([select](websocket::response_type& res) {
            res.set(http::field::server, "sithsd");
            if (select) res.set(http::field::sec_websocket_protocol, subprotocol);
        }));
        ws_.read_message_max(context().limits.max_message);
        ws_.async_accept(req, [self = self()](error_code ec) { self->on_accept(ec); });
    }

    void refuse(http::status status, const std::string& reason) {
        spdlog::warn("ws #{} refused from {}: HTTP {} ({})", id(), remote_,
                     static_cast<unsigned>(status), reason);
        auto res = std::make_shared<http::response<http::string_body>>(status, 11);
        res->set(http::field::server, "sithsd");
        res->set(http::field::content_type, "text/plain");
        res->keep_alive(false);
        res->body() = std::string(http::obsolete_reason(status)) + "\n";
        res->prepare_payload();
        beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(5));
        http::async_write(beast::get_lowest_layer(ws_), *res,
                          [self = self(), res](error_code, std::size_t) {
                              error_code ignored;
                              beast::get_lowest_layer(self->ws_).socket().shutdown(
                                  tcp::socket::shutdown_both, ignored);
                              beast::get_lowest_layer(self->ws_).close();
                          });
    }

    void on_accept(error_code ec) {
        if (ec) {
            spdlog::warn("ws #{} refused from {}: upgrade failed ({})", id(), remote_,
                         ec.message());
            abort();
            return;
        }
        parser_.reset();
        spdlog::info("ws #{} open from {}, origin {} ({})", id(), remote_, peer_.origin_text(),
                     to_string(peer_.origin_status));
        opened();
        do_read();
    }

    // --- reading ---
    void do_read() {
        ws_.async_read(buffer_, [self = self()](error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(error_code ec) {
        if (ec) {
            finish(close_text(ec));
            return;
        }
        if (closing()) {  // closing: read on until the peer's close frame, drop the rest
            buffer_.consume(buffer_.size());
            do_read();
            return;
        }
        if (!ws_.got_text()) {
            touch();
            buffer_.consume(buffer_.size());
            do_send(std::string(binary_frame_error));
            begin_close(CloseCode::unsupported_data, "binary frame");  // 1003
            do_read();
            return;
        }
        std::string text = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        if (buffer_.capacity() > kept_read_buffer) buffer_.shrink_to_fit();
        received(std::move(text));
        do_read();
    }

    // Why the read loop ended: the client is gone, or the close handshake is over.
    std::string close_text(error_code ec) const {
        if (close_sent_) return "sent close " + std::to_string(static_cast<unsigned>(close_code()));
        if (ec == websocket::error::closed)
            return "client sent close " + std::to_string(static_cast<unsigned>(ws_.reason().code));
        if (ec == websocket::error::message_too_big) return "message over the limit, close 1009";
        return ec.message();
    }

    // --- writing: one text frame per message ---
    void start_write(const std::string& message) override {
        ws_.text(true);
        ws_.async_write(net::buffer(message),
                        [self = self()](error_code ec, std::size_t) { self->on_write(ec); });
    }

    // --- closing ---
    void before_shutdown_close() override {
        ws_.set_option(websocket::stream_base::timeout{std::chrono::seconds(1),
                                                       websocket::stream_base::none(), false});
    }

    void close_after_flush() override {
        if (close_sent_) return;
        close_sent_ = true;
        ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(close_code())),
                        [self = self()](error_code ec) {
                            if (ec) self->abort();
                        });
    }

    void abort() override {
        error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
    }

    std::shared_ptr<const WsShared> shared_;
    const std::string remote_;
    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::empty_body>> parser_;
    bool close_sent_ = false;
};

class WsListener : public Listener, public std::enable_shared_from_this<WsListener> {
  public:
    explicit WsListener(std::shared_ptr<const WsShared> shared)
        : shared_(std::move(shared)), strand_(net::make_strand(shared_->context.io)) {}

    void listen() {
        const std::uint16_t port = shared_->port;
        // Loopback only, whatever the config says: there is no bind-address setting at all.
        bind(tcp::endpoint(net::ip::address_v4::loopback(), port), true);
        bind(tcp::endpoint(net::ip::address_v6::loopback(), port), false);
        for (auto& acceptor : acceptors_) do_accept(*acceptor);
    }

    // The loopback sockets systemd holds (sithsd.socket), checked for loopback by the caller.
    void adopt(const std::vector<int>& fds) {
        for (int fd : fds) {
            auto acceptor = std::make_unique<Acceptor>(strand_);
            error_code ec;
            sockaddr_storage address{};
            socklen_t length = sizeof(address);
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
            acceptor->assign(address.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
            if (ec) throw std::runtime_error("cannot use the socket from systemd: " + ec.message());
            const auto local = acceptor->local_endpoint(ec);
            spdlog::info("websocket: listening on ws://{}:{}/v1 (socket from systemd)",
                         local.address().is_v6() ? "[" + local.address().to_string() + "]"
                                                  : local.address().to_string(),
                         local.port());
            acceptors_.push_back(std::move(acceptor));
        }
        for (auto& acceptor : acceptors_) do_accept(*acceptor);
    }

    void stop() override {
        net::dispatch(strand_, [self = shared_from_this()] {
            for (auto& acceptor : self->acceptors_) {
                error_code ignored;
                acceptor->close(ignored);
                acceptor->pause.cancel();
            }
        });
    }

  private:
    void bind(const tcp::endpoint& endpoint, bool required) {
        auto acceptor = std::make_unique<Acceptor>(strand_);
        error_code ec;
        acceptor->open(endpoint.protocol(), ec);
        if (!ec) close_on_exec(acceptor->native_handle());
        if (!ec && endpoint.address().is_v6()) acceptor->set_option(net::ip::v6_only(true), ec);
        if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
        if (!ec) acceptor->bind(endpoint, ec);
        if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
        std::string where = endpoint.address().to_string();
        if (endpoint.address().is_v6()) where = "[" + where + "]";
        where += ":" + std::to_string(endpoint.port());
        if (ec) {
            const std::string holder =
                ec == net::error::address_in_use ? in_use_by(endpoint) : std::string();
            if (required)
                throw std::runtime_error("cannot listen on " + where + ": " + ec.message() +
                                         holder);
            spdlog::warn("websocket: not listening on {}: {}{}", where, ec.message(), holder);
            return;
        }
        spdlog::info("websocket: listening on ws://{}/v1", where);
        acceptors_.push_back(std::move(acceptor));
    }

    // Who holds a port we could not bind: on a shared machine, most likely another user's sithsd.
    static std::string in_use_by(const tcp::endpoint& endpoint) {
        OwnerResult owner = tcp_listener_owner(diag_endpoint(endpoint));
        if (const auto* uid = std::get_if<unsigned>(&owner)) {
            if (*uid == ::getuid())
                return " (held by a program of this user, uid " + std::to_string(*uid) +
                       ": is sithsd already running?)";
            return " (held by uid " + std::to_string(*uid) +
                   ", another user: set another `port` in the config)";
        }
        return "";
    }

    // An acceptor, and the pause after a failed accept (so that EMFILE does not spin).
    struct Acceptor : tcp::acceptor {
        explicit Acceptor(const net::strand<net::io_context::executor_type>& strand)
            : tcp::acceptor(strand), pause(strand) {}
        net::steady_timer pause;
    };

    void do_accept(Acceptor& acceptor) {
        acceptor.async_accept(
            net::make_strand(shared_->context.io),
            [self = shared_from_this(), &acceptor](error_code ec, tcp::socket socket) {
                if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
                if (!ec) {
                    close_on_exec(socket.native_handle());
                    // Without TCP_NODELAY an answer written as several frames or writes (Beast
                    // fragments a message at 4 KiB) waits for the client's delayed ACK: a
                    // listCertificates over WebSocket took 40 ms instead of 0.3 ms.
                    error_code nodelay_ec;
                    socket.set_option(tcp::no_delay(true), nodelay_ec);
                    if (nodelay_ec)
                        spdlog::warn("websocket: TCP_NODELAY failed: {}", nodelay_ec.message());
                    std::make_shared<WsSession>(std::move(socket), self->shared_)->start();
                    self->do_accept(acceptor);
                    return;
                }
                // Out of file descriptors and the like: retrying at once would spin.
                spdlog::warn("websocket: accept failed: {}", ec.message());
                acceptor.pause.expires_after(std::chrono::milliseconds(100));
                acceptor.pause.async_wait([self, &acceptor](error_code wait_ec) {
                    if (!wait_ec && acceptor.is_open()) self->do_accept(acceptor);
                });
            });
    }

    std::shared_ptr<const WsShared> shared_;
    net::strand<net::io_context::executor_type> strand_;
    std::vector<std::unique_ptr<Acceptor>> acceptors_;
};

}  // namespace

std::shared_ptr<Listener> make_websocket_listener(const TransportContext& context,
                                                  std::uint16_t port, OriginPolicy policy,
                                                  const std::vector<int>& inherited) {
    auto shared = std::make_shared<const WsShared>(WsShared{context, port, std::move(policy)});
    auto listener = std::make_shared<WsListener>(shared);
    if (inherited.empty())
        listener->listen();
    else
        listener->adopt(inherited);
    return listener;
}

}  // namespace sithsd::daemon
