// The demo portal's site without HTTP: the one origin (redirects, the API's Origin check), the
// page table, static files and their confinement, and the API's route table ("{id}" segments).
#include "browser-bridge/demo/server/portal_site.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>

#include "browser-bridge/demo/server/orders.hpp"
#include "browser-bridge/demo/server/session_store.hpp"
#include "protocol/memory_store.hpp"
#include "protocol/nonce_store.hpp"
#include "support.hpp"

namespace {

namespace json = boost::json;
namespace portal = sithsd::portal;
namespace protocol = sithsd::protocol;
namespace test = sithsd::test;

constexpr std::string_view kNode = "127.0.0.1:8080";

std::string header(const portal::HttpResponse& response, std::string_view name) {
    for (const auto& [key, value] : response.headers) {
        if (key == name) return value;
    }
    return {};
}

class PortalSiteTest : public ::testing::Test {
  protected:
    PortalSiteTest()
        : static_dir_(std::filesystem::temp_directory_path() /
                      ("portal-site-test-" + std::to_string(::getpid()))),
          verifier_(options()),
          nonces_(store_),
          sessions_(store_),
          api_(verifier_, nonces_, sessions_, orders_, "https://portal.example.se"),
          site_({std::string(kNode), "https://portal.example.se", static_dir_,
                 "ws://127.0.0.1:24891/v1"},
                api_) {
        std::filesystem::create_directories(static_dir_ / "dist");
        std::ofstream(static_dir_ / "login.html") << "<p>{{SITHSD_URL}}</p>";
        std::ofstream(static_dir_ / "attest.html") << "attest";
        std::ofstream(static_dir_ / "dist" / "login.js") << "export {};";
        std::ofstream(static_dir_.parent_path() / "portal-site-secret.txt") << "secret";
    }
    ~PortalSiteTest() override {
        std::filesystem::remove_all(static_dir_);
        std::filesystem::remove(static_dir_.parent_path() / "portal-site-secret.txt");
    }

    static protocol::VerifierOptions options() {
        protocol::VerifierOptions o;
        o.trust = (test::world() / "pki" / "root.pem").string();
        o.intermediates = (test::world() / "pki" / "chain.pem").string();
        o.no_ocsp = true;
        return o;
    }

    portal::HttpResponse get(std::string_view target, std::string_view host = kNode,
                             std::string_view method = "GET", std::string_view origin = {}) {
        return site_.respond({method, target, host, origin, {}, {}});
    }

    std::filesystem::path static_dir_;
    protocol::Verifier verifier_;
    protocol::MemoryStore store_;
    protocol::NonceStore nonces_;
    portal::SessionStore sessions_;
    portal::OrderBook orders_;
    portal::PortalApi api_;
    portal::PortalSite site_;
};

TEST_F(PortalSiteTest, PagesFromTheTableWithTheDaemonUrlAndTheirPolicy) {
    for (const auto* path : {"/", "/login", "/login?next=1"}) {
        const auto page = get(path);
        EXPECT_EQ(page.status, 200) << path;
        EXPECT_EQ(page.body, "<p>ws://127.0.0.1:24891/v1</p>");
        EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
        EXPECT_EQ(header(page, "Content-Security-Policy"),
                  "default-src 'self'; connect-src 'self' ws://127.0.0.1:24891 "
                  "http://127.0.0.1:24891; img-src 'self' data:; frame-ancestors 'none'");
    }
    EXPECT_EQ(get("/attest").body, "attest");
    const auto script = get("/static/dist/login.js");
    EXPECT_EQ(script.status, 200);
    EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
    EXPECT_EQ(header(script, "Content-Security-Policy"), "");
    EXPECT_EQ(header(script, "Cache-Control"), "no-cache");
    // Not there, not a GET, outside the folder.
    EXPECT_EQ(get("/webeid").status, 404);
    EXPECT_EQ(get("/nothing").status, 404);
    EXPECT_EQ(get("/", kNode, "POST").status, 404);
    EXPECT_EQ(get("/", kNode, "HEAD").status, 404);
    EXPECT_EQ(get("/static/../portal-site-secret.txt").status, 404);
    EXPECT_EQ(get("/static/%2e%2e/portal-site-secret.txt").status, 404);
    EXPECT_EQ(get("/static//etc/passwd").status, 404);
}

TEST_F(PortalSiteTest, OneOriginOtherHostsRedirectedOtherOriginsRefused) {
    EXPECT_EQ(get("/", "portal.example.se").status, 200) << "the public origin's host";
    const auto moved = get("/attest?x=1", "localhost:8080");
    EXPECT_EQ(moved.status, 307);
    EXPECT_EQ(header(moved, "Location"), "https://portal.example.se/attest?x=1");
    EXPECT_EQ(moved.body, "");

    const auto refused = get("/api/orders", kNode, "GET", "https://evil.example");
    EXPECT_EQ(refused.status, 403);
    EXPECT_EQ(json::parse(refused.body).at("error").as_string(), "ORIGIN_REFUSED");
    const auto same = get("/api/orders", kNode, "GET", "https://portal.example.se");
    EXPECT_EQ(same.status, 200);
    EXPECT_EQ(same.content_type, "application/json; charset=utf-8");
    EXPECT_EQ(header(same, "Cache-Control"), "no-store");
}

TEST_F(PortalSiteTest, ApiRoutesMatchTheirMethodAndOneIdSegment) {
    const auto nonce = get("/api/nonce", kNode, "POST");
    EXPECT_EQ(nonce.status, 200);
    EXPECT_EQ(header(nonce, "Set-Cookie").find("portal_session="), 0u);
    EXPECT_EQ(get("/api/nonce").status, 404) << "GET is not a route";
    // {id}: one non-empty segment.
    EXPECT_EQ(get("/api/orders/VMU3000096/prepare", kNode, "POST").status, 200);
    EXPECT_EQ(get("/api/orders/NO-SUCH/prepare", kNode, "POST").status, 409);
    for (const auto* path : {"/api/orders//prepare", "/api/orders/a/b/prepare",
                             "/api/orders/VMU3000096/prepare/x", "/api/orders/VMU3000096"}) {
        const auto answer = get(path, kNode, "POST");
        EXPECT_EQ(answer.status, 404) << path;
        EXPECT_EQ(json::parse(answer.body).at("error").as_string(), "NOT_FOUND");
    }
}

}  // namespace
