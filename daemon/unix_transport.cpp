// The Unix socket transport: NDJSON (one JSON-RPC message per line), peers of our own uid only.
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "daemon/close_on_exec.hpp"
#include "daemon/listener.hpp"
#include "daemon/session_core.hpp"

namespace sithsd::daemon {
namespace {

namespace net = boost::asio;
using stream = net::local::stream_protocol;
using error_code = boost::system::error_code;

struct UnixShared {
    TransportContext context;
    unsigned uid;
};

std::string errno_text() {
    return std::strerror(errno);
}

class UnixSession : public SessionCore {
  public:
    UnixSession(stream::socket&& socket, const std::shared_ptr<const UnixShared>& shared)
        : SessionCore(std::shared_ptr<const TransportContext>(shared, &shared->context),
                      socket.get_executor(), "unix"),
          uid_(shared->uid),
          socket_(std::move(socket)) {
        peer_.transport = Transport::unix_socket;
        peer_.authority = OriginAuthority::local_user;
    }

  private:
    std::shared_ptr<UnixSession> self() {
        return std::static_pointer_cast<UnixSession>(shared_from_this());
    }

    void on_start() override {
        ucred cred{};
        socklen_t length = sizeof cred;
        if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
            spdlog::warn("unix #{} refused: SO_PEERCRED failed: {}", id(), errno_text());
            abort();
            return;
        }
        peer_.pid = cred.pid;
        peer_.uid = cred.uid;
        if (cred.uid != uid_) {
            spdlog::warn("unix #{} refused: peer pid {} has uid {}, not ours ({})", id(), cred.pid,
                         cred.uid, uid_);
            abort();
            return;
        }
        if (!reserve(Pool::local)) {
            spdlog::warn("unix #{} refused: max_connections ({}) reached", id(),
                         context().limits.pools.local);
            abort();
            return;
        }
        peer_.program = program_of(cred.pid);
        spdlog::info("unix #{} open: pid {}, program {}", id(), peer_.pid,
                     peer_.program.empty() ? "?" : peer_.program);
        opened();
        do_read();
    }

    static std::string program_of(int pid) {
        std::string link = "/proc/" + std::to_string(pid) + "/exe";
        char target[4096];
        ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        if (n <= 0) return {};
        return std::string(target, static_cast<std::size_t>(n));
    }

    // --- reading: one message per line ---
    void do_read() {
        read_pending_ = true;
        net::async_read_until(
            socket_, net::dynamic_buffer(input_, context().limits.max_message + 1), '\n',
            [self = self()](error_code ec, std::size_t n) { self->on_read(ec, n); });
    }

    void on_read(error_code ec, std::size_t n) {
        read_pending_ = false;
        if (ec == net::error::not_found) {  // the buffer is full and holds no newline
            input_.clear();
            if (!closing()) {
                do_send(std::string(line_too_long_error));
                begin_close(CloseCode::normal, "line over the limit");
            }
            return;  // no more reading: the framing is lost
        }
        if (ec) {
            finish(ec == net::error::eof ? "client closed" : closing() ? "closed" : ec.message());
            return;
        }
        std::string line = input_.substr(0, n - 1);
        input_.erase(0, n);
        if (input_.capacity() > kept_read_buffer && input_.size() < kept_read_buffer)
            input_.shrink_to_fit();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!closing() && !line.empty()) received(std::move(line));
        do_read();
    }

    // --- writing: one message per line ---
    void frame(std::string& text) override {
        // A raw newline can only be JSON whitespace here (never inside a JSON string), so turning
        // it into a space keeps the message and the framing intact.
        for (char& c : text)
            if (c == '\n') c = ' ';
        text.push_back('\n');
    }

    void start_write(const std::string& message) override {
        net::async_write(socket_, net::buffer(message),
                         [self = self()](error_code ec, std::size_t) { self->on_write(ec); });
    }

    // --- closing: no closing handshake on a stream; everything is sent ---
    void close_after_flush() override { abort(); }

    void abort() override {
        error_code ignored;
        socket_.shutdown(stream::socket::shutdown_both, ignored);
        socket_.close(ignored);
        if (!read_pending_) finish("closed");  // else the pending read ends and calls finish()
    }

    const unsigned uid_;
    stream::socket socket_;
    std::string input_;
    bool read_pending_ = false;
};

// The socket's folder: ours, a real directory (not a symlink), mode 0700. In /tmp (no
// $XDG_RUNTIME_DIR) someone else could have made it first; then we refuse to start. A folder we did
// not create is never chmod-ed: one that is not already 0700 is refused (as ssh-agent and
// gpg-agent do), so that a mistyped `unix_socket` cannot change the mode of an existing folder.
std::string mode_text(unsigned mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", mode);
    return text;
}

void prepare_folder(const std::filesystem::path& folder, unsigned uid) {
    std::error_code ec;
    if (folder.has_parent_path()) std::filesystem::create_directories(folder.parent_path(), ec);
    if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST)
        throw std::runtime_error("cannot create " + folder.string() + ": " + errno_text());
    struct stat st {};
    if (::lstat(folder.c_str(), &st) != 0)
        throw std::runtime_error("cannot stat " + folder.string() + ": " + errno_text());
    if (!S_ISDIR(st.st_mode)) throw std::runtime_error(folder.string() + " is not a directory");
    if (st.st_uid != uid)
        throw std::runtime_error(folder.string() + " belongs to uid " + std::to_string(st.st_uid) +
                                 ", not to us");
    if ((st.st_mode & 07777) != 0700)
        throw std::runtime_error(folder.string() + " has mode " + mode_text(st.st_mode & 07777) +
                                 "; the socket's folder must be 0700 (chmod 0700 it, or choose "
                                 "another unix_socket)");
}

// A socket file left by a daemon that died is removed; a live daemon on it stops us.
void remove_stale_socket(const std::filesystem::path& path, net::io_context& io) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    if (!S_ISSOCK(st.st_mode))
        throw std::runtime_error(path.string() + " exists and is not a socket");
    stream::socket probe(io);
    error_code ec;
    probe.connect(stream::endpoint(path.string()), ec);
    if (!ec) throw std::runtime_error("another daemon is listening on " + path.string());
    if (::unlink(path.c_str()) != 0)
        throw std::runtime_error("cannot remove stale " + path.string() + ": " + errno_text());
    spdlog::info("unix: removed stale socket {}", path.string());
}

class UnixListener : public Listener, public std::enable_shared_from_this<UnixListener> {
  public:
    UnixListener(std::shared_ptr<const UnixShared> shared, std::filesystem::path path)
        : shared_(std::move(shared)),
          path_(std::move(path)),
          acceptor_(net::make_strand(shared_->context.io)),
          pause_(acceptor_.get_executor()) {}

    ~UnixListener() override { remove_socket(); }

    void listen() {
        prepare_folder(path_.parent_path(), shared_->uid);
        remove_stale_socket(path_, shared_->context.io);
        stream::endpoint endpoint;
        try {
            endpoint = stream::endpoint(path_.string());
        } catch (const std::exception&) {
            throw std::runtime_error("unix socket path too long: " + path_.string());
        }
        error_code ec;
        acceptor_.open(endpoint.protocol(), ec);
        if (!ec) close_on_exec(acceptor_.native_handle());
        if (!ec) acceptor_.bind(endpoint, ec);
        if (ec) throw std::runtime_error("cannot bind " + path_.string() + ": " + ec.message());
        // The folder (0700) already keeps others out; the socket's own mode is the second fence.
        if (::chmod(path_.c_str(), 0600) != 0)
            throw std::runtime_error("cannot chmod 0600 " + path_.string() + ": " + errno_text());
        struct stat st {};
        if (::stat(path_.c_str(), &st) == 0) inode_ = st.st_ino;
        acceptor_.listen(net::socket_base::max_listen_connections, ec);
        if (ec)
            throw std::runtime_error("cannot listen on " + path_.string() + ": " + ec.message());
        spdlog::info("unix: listening on {}", path_.string());
        do_accept();
    }

    // The socket systemd holds (sithsd.socket): used as it is, and its file left in place when we
    // stop, since systemd keeps listening on it and starts us again on the next client.
    void adopt(int fd) {
        error_code ec;
        acceptor_.assign(stream::endpoint().protocol(), fd, ec);
        if (ec) throw std::runtime_error("cannot use the socket from systemd: " + ec.message());
        spdlog::info("unix: listening on the socket from systemd ({})",
                     acceptor_.local_endpoint(ec).path());
        do_accept();
    }

    void stop() override {
        net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
            error_code ignored;
            self->acceptor_.close(ignored);
            self->pause_.cancel();
            self->remove_socket();
        });
    }

  private:
    void do_accept() {
        acceptor_.async_accept(
            net::make_strand(shared_->context.io),
            [self = shared_from_this()](error_code ec, stream::socket socket) {
                if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
                if (!ec) {
                    close_on_exec(socket.native_handle());
                    std::make_shared<UnixSession>(std::move(socket), self->shared_)->start();
                    self->do_accept();
                    return;
                }
                // Out of file descriptors and the like: retrying at once would spin.
                spdlog::warn("unix: accept failed: {}", ec.message());
                self->pause_.expires_after(std::chrono::milliseconds(100));
                self->pause_.async_wait([self](error_code wait_ec) {
                    if (!wait_ec && self->acceptor_.is_open()) self->do_accept();
                });
            });
    }

    // Only our own socket file: a newer daemon may have replaced it.
    void remove_socket() {
        if (removed_ || inode_ == 0) return;
        removed_ = true;
        struct stat st {};
        if (::lstat(path_.c_str(), &st) == 0 && st.st_ino == inode_) ::unlink(path_.c_str());
    }

    std::shared_ptr<const UnixShared> shared_;
    std::filesystem::path path_;
    stream::acceptor acceptor_;
    net::steady_timer pause_;  // after a failed accept
    ino_t inode_ = 0;
    bool removed_ = false;
};

}  // namespace

std::shared_ptr<Listener> make_unix_listener(const TransportContext& context,
                                             const std::filesystem::path& path,
                                             std::optional<int> inherited) {
    auto shared =
        std::make_shared<const UnixShared>(UnixShared{context, static_cast<unsigned>(::getuid())});
    auto listener = std::make_shared<UnixListener>(shared, path);
    if (inherited)
        listener->adopt(*inherited);
    else
        listener->listen();
    return listener;
}

}  // namespace sithsd::daemon
