#pragma once
// The demo portal's HTTP server (Boost.Beast, synchronous, one thread per connection: a demo
// with a handful of clients; this is the only Beast translation unit of the portal).
// Serves the two pages, their scripts from the static folder and the JSON API.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "browser-bridge/demo/server/portal_api.hpp"

namespace sithsd::portal {

struct HttpServerOptions {
    std::uint16_t port = 8080;  // on 127.0.0.1 only
    // The public origin every node serves behind the load balancer (empty: this node's own
    // http://127.0.0.1:PORT). Its host is served besides 127.0.0.1:PORT; API calls from pages of
    // any other origin are refused (with SameSite=Strict cookies, a second line against CSRF).
    std::string origin;
    std::filesystem::path static_dir;  // login.html, attest.html, style.css, dist/*.js
    std::string daemon_url;            // ws://127.0.0.1:24891/v1, written into the pages
};

class HttpServer {
  public:
    // Binds 127.0.0.1:port (0: any free port); throws when it cannot.
    explicit HttpServer(HttpServerOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    std::uint16_t port() const;
    // Accepts for ever, one thread per connection (main() ends the process on SIGTERM).
    [[noreturn]] void run(PortalApi& api);

    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace sithsd::portal
