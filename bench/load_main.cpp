// sithsd-load: the benchmark and soak client of bench/run-bench and bench/run-soak. Speaks to a
// running sithsd over WebSocket or the Unix socket and prints one JSON object per result line.
//
//   sithsd-load (--ws PORT [--origin O] | --unix PATH) MODE [options]
//   latency    --body B --count N [--warmup W]           one connection, one request at a time
//   throughput --body B --clients C --seconds S          C connections in closed loops
//   flood      --body B --connections N --requests R [--window W]
//                                                        every request answered exactly once?
//   idle       --connections N                           open, hello each, hold until stdin ends
//   watch                                                print the time of each cardsChanged
//   sign       --body B --clients C --per-client K       concurrent signatures, each checked
//                                                        against its own hash (no mixed answers)
// B is a request without its id: `"method":"listCertificates","params":{}`; in sign mode @HASH@
// is replaced by a hash unique to the request (base64) and @N@ by its number.
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <boost/json/src.hpp>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/load_client.hpp"

namespace json = boost::json;
using namespace sithsd::bench;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
    Target target;
    std::string mode;
    std::string body = "\"method\":\"hello\"";
    std::vector<std::string> bodies;  // every --body, in order (flood takes them in turn)
    long count = 1000, warmup = 100, clients = 1, connections = 1, requests = 100, window = 1,
         per_client = 1;
    double seconds = 5;
};

Args parse_args(int argc, char** argv) {
    Args a;
    bool have_target = false;
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error("missing value after " + k);
            return argv[++i];
        };
        if (k == "--ws") {
            a.target.websocket = true;
            a.target.port = static_cast<std::uint16_t>(std::stoi(value()));
            have_target = true;
        } else if (k == "--unix") {
            a.target.websocket = false;
            a.target.unix_path = value();
            have_target = true;
        } else if (k == "--origin")
            a.target.origin = value();
        else if (k == "--body") {
            a.bodies.push_back(value());
            a.body = a.bodies.front();
        } else if (k == "--count")
            a.count = std::stol(value());
        else if (k == "--warmup")
            a.warmup = std::stol(value());
        else if (k == "--clients")
            a.clients = std::stol(value());
        else if (k == "--connections")
            a.connections = std::stol(value());
        else if (k == "--requests")
            a.requests = std::stol(value());
        else if (k == "--window")
            a.window = std::stol(value());
        else if (k == "--per-client")
            a.per_client = std::stol(value());
        else if (k == "--seconds")
            a.seconds = std::stod(value());
        else if (a.mode.empty() && k.rfind("--", 0) != 0)
            a.mode = k;
        else
            throw std::runtime_error("unknown argument " + k);
    }
    if (a.bodies.empty()) a.bodies.push_back(a.body);
    if (!have_target || a.mode.empty())
        throw std::runtime_error("usage: see the comment at the top of load_main.cpp");
    return a;
}

std::string request(long id, const std::string& body) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + std::to_string(id) + "," + body + "}";
}

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

json::array samples_json(const std::vector<double>& samples) {
    json::array out;
    for (double s : samples) out.push_back(s);
    return out;
}

// Error answers by reason (data.reason): run-bench prints a series with any of them as a failure.
struct ErrorTally {
    long count = 0;
    std::map<std::string, long> reasons;

    void add(std::string_view m) {
        ++count;
        auto at = m.find("\"reason\":\"");
        std::string reason = "unknown";
        if (at != std::string_view::npos) {
            auto from = at + 10;
            reason = std::string(m.substr(from, m.find('"', from) - from));
        }
        ++reasons[reason];
    }
    json::object reasons_json() const {
        json::object out;
        for (const auto& [k, v] : reasons) out[k] = v;
        return out;
    }
};

void print(const json::object& o) {
    std::cout << json::serialize(o) << std::endl;
}

// A flag set when stdin reaches its end (the driver's way to say "stop now").
std::atomic<bool> stdin_done{false};
void watch_stdin() {
    std::thread([] {
        char c;
        while (::read(0, &c, 1) > 0) {
        }
        stdin_done = true;
    }).detach();
}

int latency(const Args& a) {
    Loop loop;
    Connection& c = loop.connect(a.target);
    std::vector<double> samples;
    long next = 1;
    ErrorTally errors;  // the warm-up's too
    std::int64_t sent_at = 0;
    auto send_next = [&] {
        sent_at = now_ns();
        c.send(request(next, a.body));
    };
    c.on_message = [&](Connection&, std::string_view m) {
        bool error = false;
        long id = response_id(m, &error);
        if (id != next) return;  // a notification
        double us = static_cast<double>(now_ns() - sent_at) / 1e3;
        if (error) errors.add(m);
        if (next > a.warmup) samples.push_back(us);
        if (next++ >= a.warmup + a.count) {
            loop.stop();
            return;
        }
        send_next();
    };
    send_next();
    if (!loop.run_until(Clock::now() + std::chrono::seconds(600)))
        throw std::runtime_error("latency: timed out");
    print({{"samples_us", samples_json(samples)},
           {"errors", errors.count},
           {"error_reasons", errors.reasons_json()}});
    return 0;
}

int throughput(const Args& a) {
    Loop loop;
    std::vector<Connection*> conns;
    for (long i = 0; i < a.clients; ++i) conns.push_back(&loop.connect(a.target));
    long answered = 0;
    ErrorTally errors;  // the warm-up's too: an error is never part of a rate
    bool measuring = false;
    std::vector<std::int64_t> sent_at(conns.size());
    std::vector<long> next_id(conns.size(), 1);
    std::vector<double> samples;
    for (auto* c : conns) {
        c->on_message = [&](Connection& conn, std::string_view m) {
            bool error = false;
            long id = response_id(m, &error);
            if (id != next_id[conn.index]) return;
            if (error) errors.add(m);
            if (measuring) {
                ++answered;
                if (samples.size() < 2000000)
                    samples.push_back(static_cast<double>(now_ns() - sent_at[conn.index]) / 1e3);
            }
            ++next_id[conn.index];
            sent_at[conn.index] = now_ns();
            conn.send(request(next_id[conn.index], a.body));
        };
    }
    for (auto* c : conns) {
        sent_at[c->index] = now_ns();
        c->send(request(1, a.body));
    }
    loop.run_until(Clock::now() + std::chrono::milliseconds(500));  // warm-up
    measuring = true;
    double cpu0 = cpu_seconds();
    auto t0 = Clock::now();
    loop.run_until(
        t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(a.seconds)));
    double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    double cpu = cpu_seconds() - cpu0;
    std::sort(samples.begin(), samples.end());
    auto pct = [&](double p) {
        return samples.empty() ? 0.0 : samples[static_cast<std::size_t>(p * (samples.size() - 1))];
    };
    print({{"requests", answered},
           {"errors", errors.count},
           {"error_reasons", errors.reasons_json()},
           {"seconds", elapsed},
           {"rate", answered / elapsed},
           {"p50_us", pct(0.5)},
           {"p99_us", pct(0.99)},
           {"client_cpu_share", cpu / elapsed}});
    return 0;
}

int flood(const Args& a) {
    Loop loop;
    std::vector<Connection*> conns;
    for (long i = 0; i < a.connections; ++i) conns.push_back(&loop.connect(a.target));
    // answers[c][id-1]: how often request id on connection c was answered.
    std::vector<std::vector<unsigned char>> answers(conns.size(),
                                                    std::vector<unsigned char>(a.requests, 0));
    std::vector<long> sent(conns.size(), 0);
    long total_answers = 0, unexpected = 0, closed = 0;
    ErrorTally errors;
    const long expected = a.connections * a.requests;
    auto send_one = [&](Connection& c) {
        long id = ++sent[c.index];
        c.send(request(id, a.bodies[static_cast<std::size_t>(id) % a.bodies.size()]));
    };
    for (auto* c : conns) {
        c->on_message = [&](Connection& conn, std::string_view m) {
            bool error = false;
            long id = response_id(m, &error);
            if (id < 0) {
                if (m.find("\"id\"") != std::string_view::npos &&
                    m.find("\"method\"") == std::string_view::npos)
                    ++unexpected;
                return;
            }
            if (id < 1 || id > a.requests) {
                ++unexpected;
                return;
            }
            if (answers[conn.index][id - 1] < 255) ++answers[conn.index][id - 1];
            ++total_answers;
            if (error) errors.add(m);
            if (sent[conn.index] < a.requests) send_one(conn);
            if (total_answers >= expected) loop.stop();
        };
        c->on_close = [&](Connection&) {
            if (++closed >= a.connections) loop.stop();
        };
    }
    auto t0 = Clock::now();
    for (auto* c : conns)
        for (long w = 0; w < a.window && sent[c->index] < a.requests; ++w) send_one(*c);
    loop.run_until(Clock::now() + std::chrono::seconds(300));
    double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    long missing = 0, duplicates = 0;
    for (auto& per : answers)
        for (unsigned char n : per) {
            if (n == 0) ++missing;
            if (n > 1) duplicates += n - 1;
        }
    print({{"connections", a.connections},
           {"sent", expected},
           {"error_reasons", errors.reasons_json()},
           {"answered", total_answers},
           {"missing", missing},
           {"duplicates", duplicates},
           {"errors", errors.count},
           {"unexpected", unexpected},
           {"closed_by_daemon", closed},
           {"seconds", elapsed},
           {"rate", total_answers / elapsed}});
    return 0;
}

int idle(const Args& a) {
    Loop loop;
    long answered = 0;
    for (long i = 0; i < a.connections; ++i) {
        Connection& c = loop.connect(a.target);
        c.on_message = [&](Connection&, std::string_view m) {
            if (response_id(m, nullptr) == 1) ++answered;
        };
        c.send(request(1, "\"method\":\"hello\""));
    }
    auto deadline = Clock::now() + std::chrono::seconds(60);
    loop.on_tick = [&] {
        if (answered >= a.connections) loop.stop();
    };
    if (!loop.run_until(deadline)) throw std::runtime_error("idle: not every hello was answered");
    print({{"ready", answered}});
    watch_stdin();
    loop.on_tick = [&] {
        if (stdin_done) loop.stop();
    };
    while (!stdin_done) loop.run_until(Clock::now() + std::chrono::seconds(3600));
    return 0;
}

int watch(const Args& a) {
    Loop loop;
    Connection& c = loop.connect(a.target);
    bool ready = false;
    c.on_message = [&](Connection&, std::string_view m) {
        if (response_id(m, nullptr) == 1) {
            ready = true;
            print({{"ready", true}});
            return;
        }
        if (m.find("\"method\":\"cardsChanged\"") != std::string_view::npos)
            print({{"event_ns", now_ns()}});
    };
    // listCards is the first method that needs the origin allowed; afterwards notifications come.
    c.send(request(1, "\"method\":\"listCards\""));
    watch_stdin();
    loop.on_tick = [&] {
        if (stdin_done || !c.open()) loop.stop();
    };
    while (!stdin_done && c.open()) loop.run_until(Clock::now() + std::chrono::seconds(3600));
    (void)ready;
    return 0;
}

std::string base64(const unsigned char* data, std::size_t n) {
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    int len =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
    out.resize(static_cast<std::size_t>(len));
    return out;
}

std::vector<unsigned char> unbase64(std::string_view text) {
    std::vector<unsigned char> out(3 * text.size() / 4 + 3);
    int len = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                              static_cast<int>(text.size()));
    if (len < 0) return {};
    std::size_t pad = 0;
    for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++pad;
    out.resize(static_cast<std::size_t>(len) - pad);
    return out;
}

// Does this RS256 signature verify over this SHA-256 hash with the certificate's key?
bool verifies(const std::vector<unsigned char>& cert_der,
              const std::vector<unsigned char>& signature, const unsigned char* hash) {
    const unsigned char* p = cert_der.data();
    X509* cert = d2i_X509(nullptr, &p, static_cast<long>(cert_der.size()));
    if (!cert) return false;
    EVP_PKEY* key = X509_get0_pubkey(cert);
    EVP_PKEY_CTX* ctx = key ? EVP_PKEY_CTX_new(key, nullptr) : nullptr;
    bool ok =
        ctx && EVP_PKEY_verify_init(ctx) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
        EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
        EVP_PKEY_verify(ctx, signature.data(), signature.size(), hash, SHA256_DIGEST_LENGTH) == 1;
    EVP_PKEY_CTX_free(ctx);
    X509_free(cert);
    return ok;
}

int sign(const Args& a) {
    Loop loop;
    std::vector<Connection*> conns;
    for (long i = 0; i < a.clients; ++i) conns.push_back(&loop.connect(a.target));
    struct Pending {
        unsigned char hash[SHA256_DIGEST_LENGTH];
        std::int64_t sent_at;
    };
    std::map<std::pair<std::size_t, long>, Pending> pending;
    std::vector<long> done(conns.size(), 0);
    long ok = 0, mixed = 0, errors = 0, total = 0;
    std::vector<double> samples;
    json::array error_reasons;
    auto send_one = [&](Connection& c) {
        long id = done[c.index] + 1;
        Pending p{};
        std::string seed = "sithsd bench " + std::to_string(c.index) + "/" + std::to_string(id);
        SHA256(reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), p.hash);
        std::string body = a.body;
        auto put = [&](const std::string& key, const std::string& v) {
            for (auto at = body.find(key); at != std::string::npos;
                 at = body.find(key, at + v.size()))
                body.replace(at, key.size(), v);
        };
        put("@HASH@", base64(p.hash, sizeof p.hash));
        put("@N@", std::to_string(c.index) + "/" + std::to_string(id));
        p.sent_at = now_ns();
        pending[{c.index, id}] = p;
        c.send(request(id, body));
    };
    for (auto* c : conns) {
        c->on_message = [&](Connection& conn, std::string_view m) {
            long id = response_id(m, nullptr);
            if (id < 0) return;
            auto it = pending.find({conn.index, id});
            if (it == pending.end()) {
                ++mixed;  // an answer to nothing this connection asked
                return;
            }
            samples.push_back(static_cast<double>(now_ns() - it->second.sent_at) / 1e3);
            json::value v = json::parse(m);
            const auto& o = v.as_object();
            if (auto* r = o.if_contains("result")) {
                auto sig = unbase64(r->at("signature").as_string());
                auto cert = unbase64(r->at("certificate").as_string());
                if (verifies(cert, sig, it->second.hash))
                    ++ok;
                else
                    ++mixed;
            } else {
                ++errors;
                if (error_reasons.size() < 5) error_reasons.push_back(o.at("error"));
            }
            pending.erase(it);
            ++total;
            if (++done[conn.index] < a.per_client) send_one(conn);
            if (total >= a.clients * a.per_client) loop.stop();
        };
    }
    auto t0 = Clock::now();
    for (auto* c : conns) send_one(*c);
    loop.run_until(Clock::now() + std::chrono::seconds(600));
    double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    print({{"signatures", total},
           {"ok", ok},
           {"mixed", mixed},
           {"errors", errors},
           {"unanswered", static_cast<long>(pending.size())},
           {"seconds", elapsed},
           {"samples_us", samples_json(samples)},
           {"error_examples", error_reasons}});
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        Args a = parse_args(argc, argv);
        if (a.mode == "latency") return latency(a);
        if (a.mode == "throughput") return throughput(a);
        if (a.mode == "flood") return flood(a);
        if (a.mode == "idle") return idle(a);
        if (a.mode == "watch") return watch(a);
        if (a.mode == "sign") return sign(a);
        throw std::runtime_error("unknown mode " + a.mode);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sithsd-load: %s\n", e.what());
        return 1;
    }
}
