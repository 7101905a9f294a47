#include "browser-bridge/demo/server/http_server.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

namespace sithsd::portal {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Connections answered 503 at the same time at most (each is short: the answer, then at most
// linger_time); past that a connection over the limit is closed at once.
constexpr std::size_t max_refusing = 64;
// After a last answer: how long what the client still sends is read and dropped, so that the
// close does not reset the connection before the client has read the answer.
constexpr std::chrono::seconds linger_time{2};
// accept() failing (EMFILE, ENFILE): the listen queue keeps the clients; try again shortly.
constexpr std::chrono::milliseconds accept_retry{100};
// While stopping: how often the I/O thread looks whether every connection has gone.
constexpr std::chrono::milliseconds stop_poll{50};
constexpr std::size_t read_chunk = 4096;
// Descriptors besides the connections: the listener, Redis, OCSP exchanges, static files, logs.
constexpr std::size_t descriptor_reserve = 64;

bool is_parse_error(const beast::error_code& ec) {
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return false;
    return ec.category() == http::make_error_code(http::error::bad_method).category();
}

void warn_about_descriptors(std::size_t max_connections) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return;
    const auto needed = max_connections + max_refusing + descriptor_reserve;
    if (needed > limit.rlim_cur) {
        spdlog::warn(
            "{} connections need about {} descriptors, RLIMIT_NOFILE allows {}: accepting will "
            "pause whenever they run out",
            max_connections, needed, limit.rlim_cur);
    }
}

}  // namespace

class Connection;

struct HttpServer::Impl {
    HttpServerOptions options;
    Handler handler;
    asio::io_context io{1};
    tcp::acceptor acceptor{io};
    asio::steady_timer accept_timer{io};
    asio::steady_timer stop_timer{io};
    std::chrono::steady_clock::time_point stop_deadline;  // I/O thread only
    bool cut = false;                                     // I/O thread only
    // A unique_ptr, not an optional: clang-analyzer misreads optional's destructor (llvm #119415).
    std::unique_ptr<asio::thread_pool> workers;
    std::thread io_thread;
    std::uint16_t port = 0;
    bool accept_failing = false;  // I/O thread only

    std::mutex mutex;                                                        // guards what follows
    std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;  // being served
    std::size_t refusing = 0;
    bool at_limit = false;
    bool stopping = false;
    bool joined = false;

    explicit Impl(HttpServerOptions o) : options(std::move(o)) {}

    const HttpLimits& limits() const { return options.limits; }
    void accept();
    void on_accept(const beast::error_code& ec, tcp::socket socket);
    enum class Admission { Serve, Refuse, Drop };
    Admission admit(const std::shared_ptr<Connection>& connection);
    void forget(Connection* connection, bool refused);
    void begin_stop();
    void watch_stop();
    void cut_all();
    HttpResponse call(const HttpRequest& request) noexcept;
};

// One client connection, on its own strand: read a request (header, then body, each with its
// deadline), hand it to a worker, write the answer, and again while the connection is kept alive.
class Connection : public std::enable_shared_from_this<Connection> {
  public:
    Connection(HttpServer::Impl& server, tcp::socket socket)
        : server_(server), stream_(std::move(socket)) {}
    ~Connection() { server_.forget(this, refused_); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void serve() {
        asio::dispatch(stream_.get_executor(),
                       [self = shared_from_this()] { self->read_header(); });
    }
    // Over the connection limit: 503 and close, without reading a request.
    void refuse() {
        refused_ = true;
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            self->answer_and_close(http::status::service_unavailable,
                                   "Tjänsten är överbelastad, försök igen om en stund.\n"
                                   "Service overloaded, please try again shortly.\n");
        });
    }
    // The server stops: a connection that waits for or reads a request is closed now; one whose
    // request is being answered gets its answer (with Connection: close) first.
    void stop() {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            self->stopping_ = true;
            if (self->state_ == State::Reading) self->close();
        });
    }
    void cut() {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
    }

  private:
    enum class State { Reading, Handling, Writing, Closing };

    const HttpLimits& limits() const { return server_.limits(); }

    // Keep-alive: the next request may already be in the buffer (pipelined); otherwise wait for
    // its first byte at most idle_timeout, then give its header header_timeout from there.
    void wait_for_request() {
        if (stopping_) return linger_close();
        if (buffer_.size() > 0) return read_header();
        state_ = State::Reading;
        stream_.expires_after(limits().idle_timeout);
        stream_.async_read_some(
            buffer_.prepare(read_chunk),
            [self = shared_from_this()](const beast::error_code& ec, std::size_t n) {
                if (ec)
                    return self->close();  // idle too long, or the client closed: no answer owed
                self->buffer_.commit(n);
                self->read_header();
            });
    }

    void read_header() {
        state_ = State::Reading;
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(limits().max_header_bytes));
        // Also checked against Content-Length as soon as the header is read, before any body.
        parser_->body_limit(limits().max_body_bytes);
        stream_.expires_after(limits().header_timeout);
        http::async_read_header(stream_, buffer_, *parser_,
                                [self = shared_from_this()](const beast::error_code& ec,
                                                            std::size_t) { self->on_header(ec); });
    }

    void on_header(const beast::error_code& ec) {
        if (ec) return on_read_error(ec);
        if (parser_->is_done()) return handle();
        if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
            return send_continue();
        }
        read_body();
    }

    // A client that asked before sending its body is told to go on (the limits are checked).
    void send_continue() {
        send(std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                parser_->get().version()),
             [](Connection& c) { c.read_body(); });
    }

    // Writes `message` within write_timeout, then next(*this); a failed write closes.
    template <class Message, class Next>
    void send(std::shared_ptr<Message> message, Next next) {
        stream_.expires_after(limits().write_timeout);
        auto& out = *message;
        http::async_write(stream_, out,
                          [self = shared_from_this(), message = std::move(message), next](
                              const beast::error_code& ec, std::size_t) {
                              if (ec) return self->close();
                              next(*self);
                          });
    }

    void read_body() {
        stream_.expires_after(limits().body_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
                             if (ec) return self->on_read_error(ec);
                             self->handle();
                         });
    }

    void on_read_error(const beast::error_code& ec) {
        if (ec == http::error::body_limit) {
            return answer_and_close(http::status::payload_too_large,
                                    "För stor begäran.\nRequest body too large.\n");
        }
        if (ec == http::error::header_limit) {
            return answer_and_close(http::status::request_header_fields_too_large,
                                    "För stora rubriker.\nRequest header too large.\n");
        }
        if (is_parse_error(ec)) {
            return answer_and_close(http::status::bad_request,
                                    "Felaktig begäran.\nMalformed request.\n");
        }
        close();  // a read deadline passed, the client went away, or the server stops
    }

    // The request goes to a worker; the answer comes back to this connection's strand. The
    // tracked executor keeps the I/O thread running until it has.
    void handle() {
        state_ = State::Handling;
        const auto& req = parser_->get();
        request_ = {req.method_string(),      req.target(),
                    req[http::field::host],   req[http::field::origin],
                    req[http::field::cookie], req.body()};
        keep_alive_ = req.keep_alive();
        version_ = req.version();
        auto back = asio::prefer(stream_.get_executor(), asio::execution::outstanding_work.tracked);
        asio::post(*server_.workers, [self = shared_from_this(), back]() mutable {
            auto answer = self->server_.call(self->request_);
            asio::post(back, [self, answer = std::move(answer)]() mutable {
                self->write(std::move(answer));
            });
        });
    }

    void write(HttpResponse answer) {
        if (closed_) return;  // cut while the handler ran
        state_ = State::Writing;
        auto res = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(answer.status), version_);
        res->set(http::field::server, server_.options.server_name);
        if (!answer.content_type.empty()) res->set(http::field::content_type, answer.content_type);
        for (const auto& [name, value] : answer.headers) res->insert(name, value);
        res->body() = std::move(answer.body);
        res->keep_alive(keep_alive_ && !stopping_);
        res->prepare_payload();
        if (!res->keep_alive())
            return send(std::move(res), [](Connection& c) { c.linger_close(); });
        send(std::move(res), [](Connection& c) { c.wait_for_request(); });
    }

    // An answer of the server's own, after which the connection is closed.
    void answer_and_close(http::status status, std::string_view text) {
        state_ = State::Closing;
        auto res = std::make_shared<http::response<http::string_body>>(status, 11);
        res->set(http::field::server, server_.options.server_name);
        res->set(http::field::content_type, "text/plain; charset=utf-8");
        if (status == http::status::service_unavailable) res->set(http::field::retry_after, "1");
        res->body() = text;
        res->keep_alive(false);
        res->prepare_payload();
        send(std::move(res), [](Connection& c) { c.linger_close(); });
    }

    void linger_close() {
        state_ = State::Closing;
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.expires_after(linger_time);
        drain();
    }

    void drain() {
        stream_.async_read_some(
            buffer_.prepare(read_chunk),
            [self = shared_from_this()](const beast::error_code& ec, std::size_t n) {
                if (ec) return self->close();  // the client closed too, or linger_time passed
                self->buffer_.commit(n);
                self->buffer_.consume(self->buffer_.size());
                self->drain();
            });
    }

    void close() {
        if (closed_) return;
        closed_ = true;
        state_ = State::Closing;
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.close();
    }

    HttpServer::Impl& server_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    HttpRequest request_;  // views into parser_'s message, read by the worker
    State state_ = State::Reading;
    unsigned version_ = 11;
    bool keep_alive_ = false;
    bool stopping_ = false;
    bool closed_ = false;
    bool refused_ = false;
};

void HttpServer::Impl::accept() {
    acceptor.async_accept(asio::make_strand(io),
                          [this](const beast::error_code& ec, tcp::socket socket) {
                              on_accept(ec, std::move(socket));
                          });
}

void HttpServer::Impl::on_accept(const beast::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;  // stop()
    if (ec) {
        if (!accept_failing) spdlog::warn("accept: {} (retrying every 100 ms)", ec.message());
        accept_failing = true;
        accept_timer.expires_after(accept_retry);
        accept_timer.async_wait([this](const beast::error_code& e) {
            if (!e) accept();
        });
        return;
    }
    if (accept_failing) spdlog::info("accept: working again");
    accept_failing = false;
    auto connection = std::make_shared<Connection>(*this, std::move(socket));
    switch (admit(connection)) {
        case Admission::Serve:
            connection->serve();
            break;
        case Admission::Refuse:
            connection->refuse();
            break;
        case Admission::Drop:
            break;  // closed as `connection` goes
    }
    accept();
}

HttpServer::Impl::Admission HttpServer::Impl::admit(const std::shared_ptr<Connection>& connection) {
    const std::lock_guard lock(mutex);
    if (stopping) return Admission::Drop;
    if (connections.size() < limits().max_connections) {
        if (at_limit) spdlog::info("connections below the limit again");
        at_limit = false;
        connections.emplace(connection.get(), connection);
        return Admission::Serve;
    }
    if (!at_limit) {
        spdlog::warn("{} connections open, the limit: answering 503 to the next ones",
                     connections.size());
    }
    at_limit = true;
    if (refusing >= max_refusing) return Admission::Drop;
    ++refusing;
    return Admission::Refuse;
}

// From a connection's destructor, on any thread.
void HttpServer::Impl::forget(Connection* connection, bool refused) {
    const std::lock_guard lock(mutex);
    if (refused)
        --refusing;
    else
        connections.erase(connection);
}

void HttpServer::Impl::begin_stop() {
    std::vector<std::shared_ptr<Connection>> open;
    {
        const std::lock_guard lock(mutex);
        if (stopping) return;
        stopping = true;
        for (const auto& entry : connections) {
            if (auto c = entry.second.lock()) open.push_back(std::move(c));
        }
    }
    beast::error_code ignored;
    acceptor.close(ignored);
    accept_timer.cancel();
    spdlog::info("stopping: {} connections open", open.size());
    for (const auto& c : open) c->stop();
    stop_deadline = std::chrono::steady_clock::now() + limits().stop_grace;
    watch_stop();
}

// Until every connection has gone (then nothing is left to keep the I/O thread running), and
// after stop_grace cut what is left.
void HttpServer::Impl::watch_stop() {
    {
        const std::lock_guard lock(mutex);
        if (connections.empty() && refusing == 0) return;
    }
    if (!cut && std::chrono::steady_clock::now() >= stop_deadline) {
        cut = true;
        cut_all();
    }
    stop_timer.expires_after(stop_poll);
    stop_timer.async_wait([this](const beast::error_code& ec) {
        if (!ec) watch_stop();
    });
}

// stop_grace has passed: whatever is still open (an answer the client does not take) is cut.
void HttpServer::Impl::cut_all() {
    std::vector<std::shared_ptr<Connection>> open;
    {
        const std::lock_guard lock(mutex);
        for (const auto& entry : connections) {
            if (auto c = entry.second.lock()) open.push_back(std::move(c));
        }
    }
    if (!open.empty()) spdlog::warn("stopping: cutting {} connections", open.size());
    for (const auto& c : open) c->cut();
}

HttpResponse HttpServer::Impl::call(const HttpRequest& request) noexcept {
    const auto path = request.target.substr(0, request.target.find('?'));
    try {
        return handler(request);
    } catch (const std::exception& e) {
        spdlog::error("{} {}: {}", request.method, path, e.what());
    } catch (...) {
        spdlog::error("{} {}: unknown exception", request.method, path);
    }
    return {500, "text/plain; charset=utf-8", "Internt fel.\nInternal error.\n", {}};
}

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), impl_->options.port);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen(asio::socket_base::max_listen_connections);
    impl_->port = impl_->acceptor.local_endpoint().port();
    warn_about_descriptors(impl_->limits().max_connections);
}

HttpServer::~HttpServer() {
    // main() stops and joins itself; this is for a server that an exception leaves behind.
    try {
        stop();
        join();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sithsd-portal: stopping the HTTP server: %s\n", e.what());
    }
}

std::uint16_t HttpServer::port() const {
    return impl_->port;
}

void HttpServer::start(Handler handler) {
    impl_->handler = std::move(handler);
    impl_->workers = std::make_unique<asio::thread_pool>(impl_->limits().workers);
    impl_->accept();
    impl_->io_thread = std::thread([impl = impl_.get()] {
        for (;;) {
            try {
                impl->io.run();
                return;
            } catch (const std::exception& e) {
                spdlog::error("I/O thread: {}", e.what());
            }
        }
    });
}

void HttpServer::stop() {
    asio::post(impl_->io, [impl = impl_.get()] { impl->begin_stop(); });
}

void HttpServer::join() {
    if (impl_->joined) return;
    impl_->joined = true;
    if (impl_->io_thread.joinable()) impl_->io_thread.join();
    if (impl_->workers) impl_->workers->join();
}

}  // namespace sithsd::portal
