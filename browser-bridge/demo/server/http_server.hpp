#pragma once
// The demo portal's HTTP/1.1 server (Boost.Beast, asynchronous; the only Beast translation unit of
// the portal). Written to be copied: a portal on the open network meets clients that connect and
// send nothing, send half a request, trickle a body or never read the answer, and every one of
// them is bounded here.
//
// Threads: one I/O thread runs every connection (each on its own strand); the handler runs on a
// fixed pool of worker threads, since it may block (the store, the OCSP responder). The number of
// threads never depends on the number of clients.
//
// Limits (HttpLimits): at most max_connections at a time; the next ones are answered 503 and
// closed. A request's header must arrive within header_timeout (counted from the accept, or from
// the first byte of a later request on a kept-alive connection), its body within body_timeout
// after the header; a kept-alive connection waits idle_timeout for the next request; an answer
// must be taken within write_timeout. A connection past a read deadline is closed without an
// answer (as nginx does); a header over max_header_bytes is answered 431, a body over
// max_body_bytes 413 (from Content-Length before the body is read, else when it is reached),
// a malformed request 400, each with Connection: close.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "browser-bridge/demo/server/http_message.hpp"

namespace sithsd::portal {

struct HttpLimits {
    std::size_t max_connections = 512;
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds body_timeout{20'000};
    std::chrono::milliseconds idle_timeout{30'000};
    std::chrono::milliseconds write_timeout{30'000};
    // On stop(): how long requests already being answered get before their connections are cut.
    std::chrono::milliseconds stop_grace{5'000};
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 64 * 1024;  // a token or a CMS signature is a few KiB
    unsigned workers = 8;                    // threads that run the handler
};

struct HttpServerOptions {
    std::uint16_t port = 8080;  // on 127.0.0.1 only; 0: any free port
    HttpLimits limits;
    std::string server_name = "sithsd-demo-portal";  // the Server header
};

class HttpServer {
  public:
    // Called on a worker thread, several at once; an exception becomes a 500 (and a log line).
    using Handler = std::function<HttpResponse(const HttpRequest&)>;

    // Binds and listens on 127.0.0.1:port; throws when it cannot.
    explicit HttpServer(HttpServerOptions options);
    // stop() and join().
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    std::uint16_t port() const;

    // Starts the I/O thread and the workers and accepts; returns at once.
    void start(Handler handler);
    // From any thread, any number of times: stops accepting, closes the connections that wait or
    // read, answers the requests already handed to the handler (with Connection: close) and cuts
    // what is left after stop_grace.
    void stop();
    // Waits until stop() has finished: every connection closed and every thread joined.
    void join();

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace sithsd::portal
