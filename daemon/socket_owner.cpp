#include "daemon/socket_owner.hpp"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace sithsd::daemon {
namespace {

std::string errno_text(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

// A NETLINK_SOCK_DIAG socket, closed on every path.
class DiagSocket {
  public:
    DiagSocket() : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) {
        if (fd_ < 0) return;
        // The kernel answers at once; the deadline is there so that nothing waits forever.
        timeval deadline{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
    }
    ~DiagSocket() {
        if (fd_ >= 0) ::close(fd_);
    }
    DiagSocket(const DiagSocket&) = delete;
    DiagSocket& operator=(const DiagSocket&) = delete;
    [[nodiscard]] int fd() const { return fd_; }

  private:
    int fd_;
};

struct DiagRequest {
    nlmsghdr header;
    inet_diag_req_v2 body;
};

DiagRequest make_request(const TcpEndpoint& local, std::uint16_t flags) {
    DiagRequest request{};
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    request.header.nlmsg_flags = NLM_F_REQUEST | flags;
    request.body.sdiag_family = static_cast<std::uint8_t>(local.family);
    request.body.sdiag_protocol = IPPROTO_TCP;
    request.body.idiag_states = ~0U;
    request.body.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    request.body.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    request.body.id.idiag_sport = htons(local.port);
    std::memcpy(request.body.id.idiag_src, local.address, local.family == AF_INET6 ? 16 : 4);
    return request;
}

bool same_address(const TcpEndpoint& endpoint, const __be32* address) {
    return std::memcmp(endpoint.address, address, endpoint.family == AF_INET6 ? 16 : 4) == 0;
}

// Sends `request` and reads the answers until `match` accepts one (its uid) or the kernel is done.
template <typename Match>
OwnerResult ask(DiagRequest request, Match match) {
    DiagSocket diag;
    if (diag.fd() < 0) return errno_text("socket(AF_NETLINK, NETLINK_SOCK_DIAG)");
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(diag.fd(), &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel),
                 sizeof kernel) != static_cast<ssize_t>(sizeof request))
        return errno_text("sock_diag request");
    alignas(nlmsghdr) char buffer[16384];
    for (;;) {
        ssize_t n = ::recv(diag.fd(), buffer, sizeof buffer, 0);
        if (n < 0) return errno_text("sock_diag answer");
        if (n == 0) return std::string("sock_diag: no answer");
        int length = static_cast<int>(n);
        for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(h, length);
             h = NLMSG_NEXT(h, length)) {
            if (h->nlmsg_type == NLMSG_DONE) return std::string("no such socket");
            if (h->nlmsg_type == NLMSG_ERROR) {
                const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
                if (error->error == -ENOENT) return std::string("no such socket");
                return std::string("sock_diag: ") + std::strerror(-error->error);
            }
            if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
                h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
                continue;
            const auto* msg = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
            if (std::optional<unsigned> uid = match(*msg)) return *uid;
        }
        if (!(request.header.nlmsg_flags & NLM_F_DUMP)) return std::string("no such socket");
    }
}

}  // namespace

OwnerResult tcp_socket_owner(const TcpEndpoint& local, const TcpEndpoint& remote) {
    if (local.family != remote.family) return std::string("mixed address families");
    DiagRequest request = make_request(local, 0);
    request.body.id.idiag_dport = htons(remote.port);
    std::memcpy(request.body.id.idiag_dst, remote.address, local.family == AF_INET6 ? 16 : 4);
    return ask(request, [&](const inet_diag_msg& msg) -> std::optional<unsigned> {
        // The kernel looked up exactly this 4-tuple; checked again all the same.
        if (ntohs(msg.id.idiag_sport) != local.port || ntohs(msg.id.idiag_dport) != remote.port ||
            !same_address(local, msg.id.idiag_src) || !same_address(remote, msg.id.idiag_dst))
            return std::nullopt;
        return msg.idiag_uid;
    });
}

OwnerResult tcp_listener_owner(const TcpEndpoint& local) {
    DiagRequest request = make_request(local, NLM_F_DUMP);
    request.body.idiag_states = 1U << TCP_LISTEN;
    return ask(request, [&](const inet_diag_msg& msg) -> std::optional<unsigned> {
        if (ntohs(msg.id.idiag_sport) != local.port) return std::nullopt;
        // A listener on the wildcard address holds our loopback port as well.
        static const unsigned char any[16]{};
        TcpEndpoint wildcard = local;
        std::memcpy(wildcard.address, any, sizeof any);
        if (!same_address(local, msg.id.idiag_src) && !same_address(wildcard, msg.id.idiag_src))
            return std::nullopt;
        return msg.idiag_uid;
    });
}

}  // namespace sithsd::daemon
