#pragma once
// Helpers for the protocol tests: the test world's files and keys, a software stand-in for the
// card's signer, child processes (openssl, sithsctl, the OCSP responder).

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "protocol/signer.hpp"

namespace sithsd::test {

// ${SITHSD_WORLD} (set by CMake as a compile definition, overridable by the environment).
std::filesystem::path world();
std::filesystem::path card_file(const std::string& card, const std::string& file);

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path);
std::string read_text(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes);
void write_text(const std::filesystem::path& path, const std::string& text);
// The DER of a card's certificate, e.g. cert_der("tolvan", "id-hsa").
std::vector<std::uint8_t> cert_der(const std::string& card, const std::string& name);

// Signs digests with a card's private key file (PKCS#8 PEM) the way the card would:
// RSA PKCS#1 v1.5 (or PSS) over the digest, ECDSA as raw r||s.
protocol::DigestSigner key_signer(const std::filesystem::path& key_file,
                                  protocol::RsaPadding padding = protocol::RsaPadding::Pkcs1);

struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};
// Runs a program (argv[0] searched on PATH) and collects its output; kills it after `timeout`.
RunResult run(const std::vector<std::string>& argv,
              std::chrono::seconds timeout = std::chrono::seconds(60));

// A temporary directory removed at the end of the test.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// ca-test/ocsp-responder WORLD PORT on a free loopback port, started and waited for. With a
// mode, tests/protocol/fake_ocsp.py WORLD PORT MODE instead (an answer that is wrong on purpose).
class OcspResponder {
  public:
    explicit OcspResponder(const std::string& fake_mode = {});
    ~OcspResponder();
    OcspResponder(const OcspResponder&) = delete;
    OcspResponder& operator=(const OcspResponder&) = delete;
    std::string url() const;

  private:
    pid_t pid_ = -1;
    int port_ = 0;
};

// redis-server on a free loopback port, without persistence, in a temp dir of its own; started
// and waited for (PING) by start(), stopped (SIGTERM, waited for) by stop() and the destructor.
class RedisServer {
  public:
    RedisServer();
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;
    void start();
    void stop();
    int port() const { return port_; }

  private:
    TempDir dir_;
    pid_t pid_ = -1;
    int port_ = 0;
};

int free_port();

}  // namespace sithsd::test
