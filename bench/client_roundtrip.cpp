// client_roundtrip raw|capi SOCKET N: N round trips of `hello` and of `listCertificates` to sithsd
// over its Unix socket, one at a time, through a bare socket (write a line, read a line: the
// floor any client pays) or through libsithsd-client's C API (the same plus building the request
// and typed results). Prints the per-call times as JSON for bench/client-roundtrip.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "sithsd/client.h"

namespace {

using Clock = std::chrono::steady_clock;

// Microseconds of each of n calls, after a warm-up of n / 10.
std::vector<double> time_calls(int n, const std::function<bool()>& call) {
    for (int i = 0; i < n / 10; ++i)
        if (!call()) return {};
    std::vector<double> micros;
    micros.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const auto start = Clock::now();
        if (!call()) return {};
        micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
    return micros;
}

class RawLine {
  public:
    explicit RawLine(const char* path) : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, path, sizeof address.sun_path - 1);
        ok_ =
            fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    ~RawLine() {
        if (fd_ >= 0) ::close(fd_);
    }
    RawLine(const RawLine&) = delete;
    RawLine& operator=(const RawLine&) = delete;
    // Writes the request, reads up to the end of its answer's line.
    bool round_trip(const std::string& request) {
        if (!ok_ || ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
                        static_cast<ssize_t>(request.size()))
            return false;
        for (;;) {
            if (auto end = buffer_.find('\n'); end != std::string::npos) {
                buffer_.erase(0, end + 1);
                return true;
            }
            char chunk[65536];
            const ssize_t n = ::read(fd_, chunk, sizeof chunk);
            if (n <= 0) return false;
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

  private:
    int fd_;
    bool ok_ = false;
    std::string buffer_;
};

void print(const char* name, std::vector<double> micros, bool last) {
    std::sort(micros.begin(), micros.end());
    double sum = 0;
    for (double m : micros) sum += m;
    const auto at = [&](double q) {
        return micros[static_cast<std::size_t>(q * (micros.size() - 1))];
    };
    std::printf("\"%s\":{\"n\":%zu,\"median_us\":%.1f,\"p90_us\":%.1f,\"mean_us\":%.1f}%s", name,
                micros.size(), at(0.5), at(0.9), sum / static_cast<double>(micros.size()),
                last ? "" : ",");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: client_roundtrip raw|capi SOCKET N\n");
        return 2;
    }
    const std::string mode = argv[1];
    const int n = std::atoi(argv[3]);
    std::vector<double> hello, certificates;
    if (mode == "raw") {
        RawLine line(argv[2]);
        int id = 0;
        hello = time_calls(n, [&] {
            return line.round_trip(R"({"jsonrpc":"2.0","id":)" + std::to_string(++id) +
                                   R"(,"method":"hello","params":{}})"
                                   "\n");
        });
        certificates = time_calls(n, [&] {
            return line.round_trip(R"({"jsonrpc":"2.0","id":)" + std::to_string(++id) +
                                   R"(,"method":"listCertificates","params":{}})"
                                   "\n");
        });
    } else {
        sithsd_client* client = nullptr;
        if (sithsd_connect(argv[2], 5000, &client, nullptr) != SITHSD_OK) return 1;
        hello = time_calls(n, [&] {
            char* version = nullptr;
            const bool ok = sithsd_hello(client, &version, nullptr) == SITHSD_OK;
            sithsd_free(version);
            return ok;
        });
        certificates = time_calls(n, [&] {
            sithsd_certificate_list* list = nullptr;
            const bool ok =
                sithsd_list_certificates(client, SITHSD_PURPOSE_ANY, SITHSD_REQUIRE_NONE, nullptr,
                                         &list, nullptr) == SITHSD_OK;
            sithsd_free(list);
            return ok;
        });
        sithsd_free(client);
    }
    if (hello.empty() || certificates.empty()) {
        std::fprintf(stderr, "client_roundtrip: a call failed\n");
        return 1;
    }
    std::printf("{");
    print("hello", hello, false);
    print("listCertificates", certificates, true);
    std::printf("}\n");
}
