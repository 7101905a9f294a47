// The WebSocket transport: listener, HTTP upgrade checks and the session. This is the only
// translation unit with Boost.Beast in it (each one costs 20-40 s and ~1 GB to compile).
#include <spdlog/spdlog.h>

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

    void on_start() override { do_read_request(); }

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
        if (ec) {
            if (ec != net::error::operation_aborted)
                spdlog::warn("ws #{} refused from {}: unreadable HTTP request ({})", id(), remote_,
                             ec.message());
            abort();
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
        if (!reserve()) {
            refuse(http::status::service_unavailable,
                   "max_connections (" + std::to_string(context().limits.max_connections) +
                       ") reached");
            return;
        }
        peer_.origin = verdict.origin;
        peer_.origin_status = verdict.origin_status;
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
            if (required)
                throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
            spdlog::warn("websocket: not listening on {}: {}", where, ec.message());
            return;
        }
        spdlog::info("websocket: listening on ws://{}/v1", where);
        acceptors_.push_back(std::move(acceptor));
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
                                                  std::uint16_t port, OriginPolicy policy) {
    auto shared = std::make_shared<const WsShared>(WsShared{context, port, std::move(policy)});
    auto listener = std::make_shared<WsListener>(shared);
    listener->listen();
    return listener;
}

}  // namespace sithsd::daemon
