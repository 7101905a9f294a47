#include "browser-bridge/demo/server/portal_site.hpp"

#include <array>
#include <fstream>
#include <iterator>
#include <optional>
#include <utility>

namespace sithsd::portal {

namespace {

// The pages: a path → a file of the static folder. Anything else under /static/ is served as
// itself (the pages' scripts, source maps and style sheet).
struct PageRoute {
    std::string_view path;
    std::string_view file;
};
constexpr std::array page_routes{
    PageRoute{"/", "login.html"}, PageRoute{"/login", "login.html"},
    PageRoute{"/attest", "attest.html"},
    PageRoute{"/webeid", "webeid.html"},  // a page written for Web eID's protocol
};
constexpr std::string_view static_prefix = "/static/";

std::string content_type(const std::filesystem::path& path) {
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

// Only plain names below the static folder: letters, digits, '.', '-', '_' and '/', no "..", and
// relative (folder / "/etc/passwd" would be /etc/passwd: "/static//etc/passwd" once served it).
bool safe_relative(std::string_view path) {
    if (path.empty() || path.front() == '/' || path.find("..") != std::string_view::npos) {
        return false;
    }
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

std::string_view page_file(std::string_view path) {
    for (const auto& route : page_routes) {
        if (route.path == path) return route.file;
    }
    if (path.starts_with(static_prefix)) return path.substr(static_prefix.size());
    return {};
}

}  // namespace

PortalSite::PortalSite(PortalSiteOptions options, PortalApi& api)
    : options_(std::move(options)), api_(api) {
    origin_ = options_.origin.empty() ? "http://" + options_.node_host : options_.origin;
    origin_host_ = origin_.substr(origin_.find("://") + 3);
    // The pages may talk to their own server and to the local sithsd, nothing else: the
    // WebSocket, and plain HTTP for the client's probe that tells "sithsd refused this page" from
    // "sithsd is not running" (a ws: source does not cover http: in Chrome).
    const auto ws = options_.daemon_url.substr(0, options_.daemon_url.find("/v1"));
    const auto http_probe = "http" + ws.substr(2);
    page_policy_ = "default-src 'self'; connect-src 'self' " + ws + " " + http_probe +
                   "; img-src 'self' data:; frame-ancestors 'none'";
}

HttpResponse PortalSite::respond(const HttpRequest& request) const {
    const auto target = request.target;
    const auto path = target.substr(0, target.find('?'));
    // One origin: the token is signed over it, so a page opened as localhost would fail.
    if (request.host != options_.node_host && request.host != origin_host_) {
        return {307, {}, {}, {{"Location", origin_ + std::string(target)}}};
    }
    if (path.starts_with("/api/")) return api_call(request, path);
    return page(request, path);
}

HttpResponse PortalSite::api_call(const HttpRequest& request, std::string_view path) const {
    ApiResponse answer;
    if (!request.origin.empty() && request.origin != origin_) {
        answer = {403, R"({"error":"ORIGIN_REFUSED","message":"Fel ursprung."})", {}};
    } else {
        answer = api_.handle({request.method, path, request.body, request.cookie});
    }
    HttpResponse response{answer.status,
                          std::move(answer.content_type),
                          std::move(answer.body),
                          {{"Cache-Control", "no-store"}}};
    if (!answer.set_cookie.empty()) response.headers.emplace_back("Set-Cookie", answer.set_cookie);
    return response;
}

HttpResponse PortalSite::page(const HttpRequest& request, std::string_view path) const {
    const auto file = page_file(path);
    std::optional<std::string> content;
    if (request.method == "GET" && safe_relative(file))
        content = read_file(options_.static_dir / file);
    if (!content) return {404, "text/plain; charset=utf-8", "Sidan finns inte.\n", {}};
    HttpResponse response{200, content_type(file), {}, {{"Cache-Control", "no-cache"}}};
    if (file.ends_with(".html")) {
        replace_all(*content, "{{SITHSD_URL}}", options_.daemon_url);
        response.headers.emplace_back("Content-Security-Policy", page_policy_);
    }
    response.body = std::move(*content);
    return response;
}

}  // namespace sithsd::portal
