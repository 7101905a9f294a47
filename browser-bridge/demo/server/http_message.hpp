#pragma once
// What the portal's HTTP server hands to the site and gets back: plain values, no Beast, so that
// the routing, the pages and the API are compiled (and tested) apart from the one Beast
// translation unit (http_server.cpp).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sithsd::portal {

// Views into the server's parsed request: valid while the handler runs.
struct HttpRequest {
    std::string_view method;  // "GET", "POST", ...
    std::string_view target;  // as sent: the path and the query
    std::string_view host;    // the Host header
    std::string_view origin;  // the Origin header, or empty
    std::string_view cookie;  // the Cookie header, or empty
    std::string_view body;
};

struct HttpResponse {
    int status = 200;
    std::string content_type;  // empty for a response without a body (a redirect)
    std::string body;
    // Further headers in order (Location, Set-Cookie, Cache-Control, Content-Security-Policy,
    // a download's Content-Disposition); the server adds Server, Content-Length and Connection.
    std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace sithsd::portal
