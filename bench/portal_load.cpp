// sithsd-portal-load: the portal benchmark's client (bench/run-portal-bench). One JSON line.
//
//   sithsd-portal-load logins   --nodes PORT[,PORT...] --origin O --card DIR --clients C --seconds
//   S
//       C clients, each in a closed loop: POST /api/nonce at one node (the session cookie kept),
//       a web-eid:1.0 token signed with the card's key file, POST /api/login {token} at the next
//       node. Every answer that is not 200 is counted by its reason.
//   sithsd-portal-load verifier --origin O --card DIR --world DIR --clients C --seconds S
//                               (--no-ocsp | --ocsp-url URL [--ocsp-cache])
//       the bare verifier in-process (Verifier::verify_token on C threads), no HTTP, no store.
// Plain sockets and a minimal HTTP/1.1 client (keep-alive, Content-Length bodies only): the
// client should cost as little CPU as it can beside the portals on a 2-core machine.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "protocol/auth_token.hpp"
#include "protocol/base64.hpp"
#include "protocol/memory_store.hpp"
#include "protocol/ocsp_cache.hpp"
#include "protocol/verifier.hpp"

namespace json = boost::json;
namespace protocol = sithsd::protocol;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
    std::string mode, origin, ocsp_url;
    std::filesystem::path card, world;
    std::vector<int> nodes;
    int clients = 4;
    double seconds = 5;
    bool no_ocsp = false, ocsp_cache = false;
};

Args parse_args(int argc, char** argv) {
    if (argc < 2) throw std::runtime_error("usage: sithsd-portal-load logins|verifier OPTIONS");
    Args a;
    a.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string k = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error("missing value after " + k);
            return argv[++i];
        };
        if (k == "--nodes") {
            std::string list = value();
            for (std::size_t pos = 0; pos <= list.size();) {
                const auto comma = std::min(list.find(',', pos), list.size());
                a.nodes.push_back(std::stoi(list.substr(pos, comma - pos)));
                pos = comma + 1;
            }
        } else if (k == "--origin") {
            a.origin = value();
        } else if (k == "--card") {
            a.card = value();
        } else if (k == "--world") {
            a.world = value();
        } else if (k == "--clients") {
            a.clients = std::stoi(value());
        } else if (k == "--seconds") {
            a.seconds = std::stod(value());
        } else if (k == "--ocsp-url") {
            a.ocsp_url = value();
        } else if (k == "--no-ocsp") {
            a.no_ocsp = true;
        } else if (k == "--ocsp-cache") {
            a.ocsp_cache = true;
        } else {
            throw std::runtime_error("unknown option " + k);
        }
    }
    if (a.origin.empty() || a.card.empty()) throw std::runtime_error("--origin and --card needed");
    return a;
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    return {std::istreambuf_iterator<char>(in), {}};
}

// The card's identification key (RSA, as the test world's tolvan): RS256 tokens signed over
// the message itself, which is what the card's signature over H(message) amounts to.
class TokenMaker {
  public:
    explicit TokenMaker(const std::filesystem::path& card)
        : cert_(read_file(card / "id-hsa.der")), cert_b64_(protocol::base64_encode(cert_)) {
        const auto pem = read_file(card / "id-hsa.key");
        BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
        key_ = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
        BIO_free(bio);
        if (!key_ || EVP_PKEY_get_base_id(key_) != EVP_PKEY_RSA)
            throw std::runtime_error("not an RSA key in " + card.string());
    }
    ~TokenMaker() { EVP_PKEY_free(key_); }
    TokenMaker(const TokenMaker&) = delete;
    TokenMaker& operator=(const TokenMaker&) = delete;

    json::object make(const std::string& origin, const std::string& nonce) const {
        const auto message =
            protocol::auth_token_message(sithsd::HashAlgorithm::sha256, origin, nonce);
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        std::size_t length = 0;
        std::vector<std::uint8_t> signature;
        bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_) == 1 &&
                  EVP_DigestSign(ctx, nullptr, &length, message.data(), message.size()) == 1;
        if (ok) {
            signature.resize(length);
            ok =
                EVP_DigestSign(ctx, signature.data(), &length, message.data(), message.size()) == 1;
        }
        EVP_MD_CTX_free(ctx);
        if (!ok) throw std::runtime_error("signing failed");
        return {{"format", "web-eid:1.0"},
                {"algorithm", "RS256"},
                {"unverifiedCertificate", cert_b64_},
                {"signature", protocol::base64_encode(signature)},
                {"appVersion", "https://example.invalid/bench"}};
    }

  private:
    std::vector<std::uint8_t> cert_;
    std::string cert_b64_;
    EVP_PKEY* key_ = nullptr;
};

struct Response {
    int status = 0;
    std::string body, set_cookie;
};

// One keep-alive connection to a portal node on 127.0.0.1 (reconnects when the node closed it).
class HttpConnection {
  public:
    explicit HttpConnection(int port) : port_(port) {}
    ~HttpConnection() { drop(); }
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    Response post(const std::string& path, const std::string& body, const std::string& cookie) {
        std::string request = "POST " + path +
                              " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                              "\r\nContent-Type: application/json\r\n";
        if (!cookie.empty()) request += "Cookie: " + cookie + "\r\n";
        request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        if (fd_ < 0) connect_now();
        if (!send_all(request)) {  // the node closed an idle connection: once more, fresh
            drop();
            connect_now();
            if (!send_all(request)) throw std::runtime_error("send failed");
        }
        return read_response();
    }

  private:
    void connect_now() {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        const timeval timeout{30, 0};  // no answer in 30 s is an error, never a hang
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        const int one = 1;
        setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port_));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            drop();
            throw std::runtime_error("cannot connect to port " + std::to_string(port_));
        }
    }
    void drop() {
        if (fd_ >= 0) close(fd_);
        fd_ = -1;
        buffer_.clear();
    }
    bool send_all(const std::string& data) {
        for (std::size_t sent = 0; sent < data.size();) {
            const ssize_t n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) return false;
            sent += static_cast<std::size_t>(n);
        }
        return true;
    }
    bool fill() {
        char chunk[8192];
        const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }
    Response read_response() {
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill()) throw std::runtime_error("connection closed before an answer");
        }
        const std::string head = buffer_.substr(0, end);
        Response r;
        r.status = std::stoi(head.substr(head.find(' ') + 1, 3));
        std::size_t length = 0;
        for (std::size_t pos = head.find("\r\n"); pos != std::string::npos;) {
            const auto next = head.find("\r\n", pos + 2);
            const auto line =
                head.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
            const auto colon = line.find(':');
            std::string name = line.substr(0, colon);
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            const auto value = colon == std::string::npos ? "" : line.substr(colon + 2);
            if (name == "content-length") length = std::stoul(value);
            if (name == "set-cookie") r.set_cookie = value.substr(0, value.find(';'));
            pos = next;
        }
        while (buffer_.size() < end + 4 + length) {
            if (!fill()) throw std::runtime_error("connection closed in a body");
        }
        r.body = buffer_.substr(end + 4, length);
        buffer_.erase(0, end + 4 + length);
        return r;
    }

    int port_;
    int fd_ = -1;
    std::string buffer_;
};

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Tally {
    std::atomic<long> done{0};
    std::mutex mutex;
    std::map<std::string, long> errors;
    void error(const std::string& reason) {
        std::lock_guard lock(mutex);
        ++errors[reason];
    }
};

std::string reason_of(const Response& r) {
    boost::system::error_code ec;
    const auto doc = json::parse(r.body, ec);
    if (!ec && doc.is_object())
        if (const auto* e = doc.as_object().if_contains("error"); e && e->is_string())
            return std::to_string(r.status) + " " + std::string(e->as_string());
    return "HTTP " + std::to_string(r.status);
}

// One browser in a closed loop: nonce at node i, login at node i+1.
void login_loop(const Args& a, const TokenMaker& tokens, Tally& tally, Clock::time_point end,
                std::size_t first) {
    std::vector<std::unique_ptr<HttpConnection>> conns;
    for (const int port : a.nodes) conns.push_back(std::make_unique<HttpConnection>(port));
    std::string cookie;
    for (std::size_t i = first; Clock::now() < end; ++i) {
        try {
            auto& issuer = *conns[i % conns.size()];
            auto& checker = *conns[(i + 1) % conns.size()];
            const auto n = issuer.post("/api/nonce", "", cookie);
            if (!n.set_cookie.empty()) cookie = n.set_cookie;
            if (n.status != 200) {
                tally.error("nonce: " + reason_of(n));
                continue;
            }
            const std::string nonce(json::parse(n.body).at("nonce").as_string());
            const auto body =
                json::serialize(json::object{{"token", tokens.make(a.origin, nonce)}});
            const auto l = checker.post("/api/login", body, cookie);
            if (!l.set_cookie.empty()) cookie = l.set_cookie;
            if (l.status == 200)
                ++tally.done;
            else
                tally.error("login: " + reason_of(l));
        } catch (const std::exception& e) {
            tally.error(e.what());
        }
    }
}

void verify_loop(const protocol::Verifier& verifier, const Args& a,
                 const std::vector<std::string>& tokens, Tally& tally, Clock::time_point end) {
    for (std::size_t i = 0; Clock::now() < end; ++i) {
        const auto r = verifier.verify_token(tokens[i % tokens.size()], a.origin,
                                             "bench-nonce-" + std::to_string(i % tokens.size()));
        if (r)
            ++tally.done;
        else
            tally.error(std::string(protocol::verify_error_name(r.error().reason)));
    }
}

}  // namespace

int main(int argc, char** argv) try {
    const Args a = parse_args(argc, argv);
    const TokenMaker tokens(a.card);
    Tally tally;
    std::unique_ptr<protocol::Verifier> verifier;
    std::vector<std::string> made;
    protocol::MemoryStore cache_store;
    if (a.mode == "verifier") {
        protocol::VerifierOptions o;
        o.trust = (a.world / "pki" / "root.pem").string();
        o.intermediates = (a.world / "pki" / "chain.pem").string();
        o.no_ocsp = a.no_ocsp;
        o.ocsp_url = a.ocsp_url;
        if (a.ocsp_cache) o.ocsp_cache = std::make_shared<protocol::OcspCache>(cache_store);
        verifier = std::make_unique<protocol::Verifier>(o);
        for (int i = 0; i < 64; ++i) {
            const auto nonce = "bench-nonce-" + std::to_string(i);
            made.push_back(json::serialize(tokens.make(a.origin, nonce)));
        }
    } else if (a.mode != "logins" || a.nodes.empty()) {
        throw std::runtime_error("logins needs --nodes; modes: logins, verifier");
    }
    const double cpu_before = cpu_seconds();
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(a.seconds));
    std::vector<std::thread> threads;
    for (int c = 0; c < a.clients; ++c) {
        threads.emplace_back([&, c] {
            if (verifier)
                verify_loop(*verifier, a, made, tally, end);
            else
                login_loop(a, tokens, tally, end, static_cast<std::size_t>(c));
        });
    }
    for (auto& t : threads) t.join();
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    json::object errors;
    long error_count = 0;
    for (const auto& [reason, n] : tally.errors) {
        errors[reason] = n;
        error_count += n;
    }
    std::cout << json::serialize(json::object{
                     {"mode", a.mode},
                     {"clients", a.clients},
                     {"nodes", a.nodes.size()},
                     {"done", tally.done.load()},
                     {"seconds", wall},
                     {"rate", static_cast<double>(tally.done.load()) / wall},
                     {"errors", error_count},
                     {"error_reasons", errors},
                     {"client_cpu_percent", 100.0 * (cpu_seconds() - cpu_before) / wall}})
              << std::endl;
    return 0;
} catch (const std::exception& e) {
    std::cerr << "sithsd-portal-load: " << e.what() << "\n";
    return 2;
}
