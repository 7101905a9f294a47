#pragma once
// The demo portal's site: one public origin, the pages (a table of paths), their scripts from the
// static folder and the JSON API (PortalApi). No HTTP machinery: the server calls respond() from
// its worker threads, so everything here may block (the store, OCSP) and must be thread-safe.

#include <filesystem>
#include <string>

#include "browser-bridge/demo/server/http_message.hpp"
#include "browser-bridge/demo/server/portal_api.hpp"

namespace sithsd::portal {

struct PortalSiteOptions {
    // This node's own address, 127.0.0.1:PORT (always served).
    std::string node_host;
    // The public origin every node serves behind the load balancer (empty: http://NODE_HOST). Its
    // host is served besides the node's own; API calls from pages of any other origin are refused
    // (with SameSite=Strict cookies, a second line against CSRF).
    std::string origin;
    std::filesystem::path static_dir;  // login.html, attest.html, webeid.html, style.css, dist/*.js
    std::string daemon_url;            // ws://127.0.0.1:24891/v1, written into the pages
};

class PortalSite {
  public:
    PortalSite(PortalSiteOptions options, PortalApi& api);

    // The one public origin (options.origin, or http://NODE_HOST).
    const std::string& origin() const { return origin_; }

    HttpResponse respond(const HttpRequest& request) const;

  private:
    HttpResponse api_call(const HttpRequest& request, std::string_view path) const;
    HttpResponse page(const HttpRequest& request, std::string_view path) const;

    PortalSiteOptions options_;
    PortalApi& api_;
    std::string origin_;
    std::string origin_host_;  // the origin's host[:port]
    std::string page_policy_;  // the pages' Content-Security-Policy
};

}  // namespace sithsd::portal
