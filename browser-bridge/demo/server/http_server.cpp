#include "browser-bridge/demo/server/http_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <iterator>
#include <optional>
#include <thread>

namespace sithsd::portal {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t max_body = std::size_t{2} * 1024 * 1024;  // a CMS or a token is a few KiB

std::string_view content_type(const std::filesystem::path& path) {
    const auto ext = path.extension().string();
    if (ext == ".html") return "text/html; charset=utf-8";
    if (ext == ".js") return "text/javascript; charset=utf-8";
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".map") return "application/json";
    if (ext == ".svg") return "image/svg+xml";
    return "application/octet-stream";
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Only plain names below the static folder: letters, digits, '.', '-', '_' and '/', no "..".
bool safe_relative(std::string_view path) {
    if (path.empty() || path.find("..") != std::string_view::npos) return false;
    for (const char c : path) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == '/';
        if (!ok) return false;
    }
    return true;
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
    for (auto pos = text.find(from); pos != std::string::npos;
         pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
    }
}

}  // namespace

struct HttpServer::Impl {
    HttpServerOptions options;
    PortalApi* api = nullptr;
    asio::io_context io;
    tcp::acceptor acceptor{io};
    std::string host;         // 127.0.0.1:PORT
    std::string origin;       // the public origin (options.origin, or http://127.0.0.1:PORT)
    std::string origin_host;  // its host[:port], also served

    explicit Impl(HttpServerOptions o) : options(std::move(o)) {}

    http::response<http::string_body> respond(const http::request<http::string_body>& req) {
        http::response<http::string_body> res{http::status::ok, req.version()};
        res.set(http::field::server, "sithsd-demo-portal");
        res.keep_alive(req.keep_alive());
        const std::string target(req.target());
        const std::string path = target.substr(0, target.find('?'));

        // One origin: the token is signed over it, so a page opened as localhost would fail.
        const auto asked_host = req[http::field::host];
        if (asked_host != host && asked_host != origin_host) {
            res.result(http::status::temporary_redirect);
            res.set(http::field::location, origin + target);
            res.prepare_payload();
            return res;
        }
        if (path.starts_with("/api/")) {
            const auto page_origin = req[http::field::origin];
            ApiResponse answer;
            if (!page_origin.empty() && page_origin != origin) {
                answer = {403, R"({"error":"ORIGIN_REFUSED","message":"Fel ursprung."})", {}};
            } else {
                answer =
                    api->handle({req.method_string(), path, req.body(), req[http::field::cookie]});
            }
            res.result(static_cast<http::status>(answer.status));
            res.set(http::field::content_type, "application/json; charset=utf-8");
            res.set(http::field::cache_control, "no-store");
            if (!answer.set_cookie.empty()) res.set(http::field::set_cookie, answer.set_cookie);
            res.body() = answer.body;
            res.prepare_payload();
            return res;
        }
        std::string file;
        if (path == "/" || path == "/login")
            file = "login.html";
        else if (path == "/attest")
            file = "attest.html";
        else if (path == "/webeid")
            file = "webeid.html";  // a page written for Web eID's protocol
        else if (path.starts_with("/static/"))
            file = path.substr(8);
        std::optional<std::string> content;
        if (req.method() == http::verb::get && safe_relative(file))
            content = read_file(options.static_dir / file);
        if (!content) {
            res.result(http::status::not_found);
            res.set(http::field::content_type, "text/plain; charset=utf-8");
            res.body() = "Sidan finns inte.\n";
            res.prepare_payload();
            return res;
        }
        if (file.ends_with(".html")) {
            replace_all(*content, "{{SITHSD_URL}}", options.daemon_url);
            // The page may talk to its own server and to the local sithsd, nothing else: the
            // WebSocket, and plain HTTP for the client's probe that tells "sithsd refused this
            // page" from "sithsd is not running" (a ws: source does not cover http: in Chrome).
            const auto ws = options.daemon_url.substr(0, options.daemon_url.find("/v1"));
            const auto http_probe = "http" + ws.substr(2);
            res.set("Content-Security-Policy",
                    "default-src 'self'; connect-src 'self' " + ws + " " + http_probe +
                        "; img-src 'self' data:; frame-ancestors 'none'");
        }
        res.set(http::field::content_type, content_type(file));
        res.set(http::field::cache_control, "no-cache");
        res.body() = std::move(*content);
        res.prepare_payload();
        return res;
    }

    void serve(tcp::socket socket) {
        beast::error_code ec;
        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(max_body);
            http::read(socket, buffer, parser, ec);
            if (ec) break;  // closed, or a request too large / malformed: drop the connection
            auto res = respond(parser.get());
            http::write(socket, res, ec);
            if (ec || !res.keep_alive()) break;
        }
        socket.shutdown(tcp::socket::shutdown_send, ec);
    }
};

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), impl_->options.port);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen();
    const auto port = impl_->acceptor.local_endpoint().port();
    impl_->host = "127.0.0.1:" + std::to_string(port);
    impl_->origin = impl_->options.origin.empty() ? "http://" + impl_->host : impl_->options.origin;
    impl_->origin_host = impl_->origin.substr(impl_->origin.find("://") + 3);
}

HttpServer::~HttpServer() = default;

std::uint16_t HttpServer::port() const {
    return impl_->acceptor.local_endpoint().port();
}

void HttpServer::run(PortalApi& api) {
    impl_->api = &api;
    for (;;) {
        beast::error_code ec;
        tcp::socket socket(impl_->io);
        impl_->acceptor.accept(socket, ec);
        if (ec) {
            spdlog::warn("accept: {}", ec.message());
            std::this_thread::sleep_for(std::chrono::milliseconds(100));  // EMFILE: do not spin
            continue;
        }
        // Detached: a connection thread ends with its connection; the process exits on stop.
        std::thread([impl = impl_.get(), s = std::move(socket)]() mutable {
            impl->serve(std::move(s));
        }).detach();
    }
}

}  // namespace sithsd::portal
