#include "support.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>

#include "protocol/openssl_util.hpp"

namespace sithsd::test {

namespace fs = std::filesystem;

fs::path world() {
    if (const char* env = std::getenv("SITHSD_WORLD")) return env;
    return SITHSD_TEST_WORLD;
}

fs::path card_file(const std::string& card, const std::string& file) {
    return world() / "cards" / card / file;
}

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::string read_text(const fs::path& path) {
    const auto bytes = read_bytes(path);
    return std::string(bytes.begin(), bytes.end());
}

void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::vector<std::uint8_t> cert_der(const std::string& card, const std::string& name) {
    return read_bytes(card_file(card, name + ".der"));
}

protocol::DigestSigner key_signer(const fs::path& key_file, protocol::RsaPadding padding) {
    protocol::ossl::BioPtr bio(BIO_new_file(key_file.c_str(), "r"));
    if (!bio) throw std::runtime_error("cannot read " + key_file.string());
    std::shared_ptr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                  EVP_PKEY_free);
    if (!key) throw std::runtime_error("not a private key: " + key_file.string());
    return [key, padding](HashAlgorithm alg, std::span<const std::uint8_t> digest) {
        protocol::ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
        const bool ec = EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_EC;
        if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
            EVP_PKEY_CTX_set_signature_md(ctx.get(), protocol::ossl::md_for(alg)) != 1) {
            throw std::runtime_error("sign init failed");
        }
        if (!ec) {
            const int pad =
                padding == protocol::RsaPadding::Pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING;
            if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), pad) != 1)
                throw std::runtime_error("padding");
            if (padding == protocol::RsaPadding::Pss &&
                EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) != 1) {
                throw std::runtime_error("salt length");
            }
        }
        std::size_t len = 0;
        if (EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1) {
            throw std::runtime_error("sign size failed");
        }
        std::vector<std::uint8_t> sig(len);
        if (EVP_PKEY_sign(ctx.get(), sig.data(), &len, digest.data(), digest.size()) != 1) {
            throw std::runtime_error("sign failed");
        }
        sig.resize(len);
        if (ec)
            return protocol::ossl::ecdsa_der_to_raw(sig, protocol::ossl::ec_half_size(key.get()));
        return sig;
    };
}

namespace {

void drain(int fd, std::string& into) {
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) into.append(buf, static_cast<std::size_t>(n));
}

pid_t spawn(const std::vector<std::string>& argv, int out_fd, int err_fd) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        const int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        setpgid(0, 0);  // its own group, so that it and its children can be stopped together
        execvp(args[0], args.data());
        _exit(127);
    }
    return pid;
}

}  // namespace

RunResult run(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe");
    const pid_t pid = spawn(argv, out[1], err[1]);
    close(out[1]);
    close(err[1]);
    RunResult result;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool out_open = true, err_open = true;
    while (out_open || err_open) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            kill(-pid, SIGKILL);
            break;
        }
        pollfd fds[2] = {{out_open ? out[0] : -1, POLLIN, 0}, {err_open ? err[0] : -1, POLLIN, 0}};
        if (poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
        for (int i = 0; i < 2; ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
            char buf[4096];
            const ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) {
                (i == 0 ? out_open : err_open) = false;
            } else {
                (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    close(out[0]);
    close(err[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

TempDir::TempDir() {
    std::string templ = (fs::temp_directory_path() / "sithsd-protocol-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp");
    path_ = templ;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

int free_port() {
    const int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        close(s);
        throw std::runtime_error("no free port");
    }
    close(s);
    return ntohs(addr.sin_port);
}

OcspResponder::OcspResponder(const std::string& fake_mode) : port_(free_port()) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    const int devnull = open("/dev/null", O_WRONLY);
    if (fake_mode.empty()) {
        pid_ = spawn({SITHSD_OCSP_RESPONDER, world().string(), std::to_string(port_)}, out[1],
                     devnull);
    } else {
        pid_ = spawn(
            {SITHSD_PYTHON, SITHSD_FAKE_OCSP, world().string(), std::to_string(port_), fake_mode},
            out[1], devnull);
    }
    close(out[1]);
    close(devnull);
    // It says "serving OCSP" on stdout once it listens.
    std::string said;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (said.find("serving OCSP") == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd fd{out[0], POLLIN, 0};
        if (left.count() <= 0 || poll(&fd, 1, static_cast<int>(left.count())) <= 0) break;
        const auto before = said.size();
        drain(out[0], said);
        if (said.size() == before) break;  // closed: it died
    }
    close(out[0]);
    if (said.find("serving OCSP") == std::string::npos) {
        kill(-pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        throw std::runtime_error("ocsp-responder did not start");
    }
}

OcspResponder::~OcspResponder() {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);  // it stops its openssl children itself
        int status = 0;
        waitpid(pid_, &status, 0);
        kill(-pid_, SIGKILL);  // anything of its group left over
    }
}

namespace {

bool redis_answers(int port) {
    const int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    std::string said;
    if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        write(s, "PING\r\n", 6) == 6) {
        pollfd fd{s, POLLIN, 0};
        if (poll(&fd, 1, 1000) > 0) drain(s, said);
    }
    close(s);
    return said.starts_with("+PONG");
}

}  // namespace

RedisServer::RedisServer() : port_(free_port()) {
    start();
}

RedisServer::~RedisServer() {
    stop();
}

void RedisServer::start() {
    const int devnull = open("/dev/null", O_WRONLY);
    pid_ = spawn({SITHSD_REDIS_SERVER, "--port", std::to_string(port_), "--bind", "127.0.0.1",
                  "--save", "", "--appendonly", "no", "--dir", dir_.path().string()},
                 devnull, devnull);
    close(devnull);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!redis_answers(port_)) {
        if (std::chrono::steady_clock::now() > deadline || waitpid(pid_, nullptr, WNOHANG) != 0) {
            stop();
            throw std::runtime_error("redis-server did not start");
        }
        poll(nullptr, 0, 20);
    }
}

void RedisServer::stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (waitpid(pid_, nullptr, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
            break;
        }
        poll(nullptr, 0, 10);
    }
    pid_ = -1;
}

std::string OcspResponder::url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/";
}

}  // namespace sithsd::test
