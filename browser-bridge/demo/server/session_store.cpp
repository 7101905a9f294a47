#include "browser-bridge/demo/server/session_store.hpp"

#include <openssl/rand.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>

#include "protocol/base64.hpp"

namespace sithsd::portal {
namespace json = boost::json;

namespace {

constexpr std::string_view kPrefix = "sithsd:session:";
constexpr std::string_view kCookie = "portal_session";
constexpr std::size_t kIdLength = 43;  // base64url of 32 bytes, no padding

bool plausible_id(std::string_view id) {
    if (id.size() != kIdLength) return false;
    for (const char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

std::string key_of(std::string_view id) {
    return std::string(kPrefix) + std::string(id);
}

}  // namespace

SessionStore::SessionStore(protocol::TtlStore& store, std::chrono::seconds lifetime)
    : store_(store), lifetime_(lifetime) {}

Session SessionStore::create() const {
    std::array<std::uint8_t, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw protocol::StoreUnavailable("RAND_bytes failed");
    }
    return Session{protocol::base64url_encode(bytes), {}, std::nullopt};
}

std::optional<Session> SessionStore::find(std::string_view id) {
    if (!plausible_id(id)) return std::nullopt;
    const auto value = store_.get(key_of(id));
    if (!value) return std::nullopt;
    boost::system::error_code ec;
    const auto doc = json::parse(*value, ec);
    if (ec || !doc.is_object()) return std::nullopt;
    Session session{std::string(id), {}, std::nullopt};
    const auto& o = doc.get_object();
    if (const auto* n = o.if_contains("nonce"); n && n->is_string())
        session.nonce = std::string(n->get_string());
    if (const auto* u = o.if_contains("user"); u && u->is_object()) session.user = u->get_object();
    return session;
}

void SessionStore::save(const Session& session) {
    json::object o;
    if (!session.nonce.empty()) o["nonce"] = session.nonce;
    if (session.user) o["user"] = *session.user;
    store_.put(key_of(session.id), json::serialize(o), lifetime_);
}

void SessionStore::remove(std::string_view id) {
    if (plausible_id(id)) store_.remove(key_of(id));
}

std::string session_cookie(std::string_view header) {
    while (!header.empty()) {
        const auto end = header.find(';');
        auto pair = header.substr(0, end);
        header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == kCookie)
            return std::string(pair.substr(eq + 1));
    }
    return {};
}

std::string session_set_cookie(std::string_view id, bool secure) {
    return std::string(kCookie) + "=" + std::string(id) + "; Path=/; HttpOnly; SameSite=Strict" +
           (secure ? "; Secure" : "");
}

std::string session_clear_cookie(bool secure) {
    return std::string(kCookie) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" +
           (secure ? "; Secure" : "");
}

}  // namespace sithsd::portal
