#pragma once
// The module's way to the user's sithsd: the socket path, a connection introduced as the browser
// module, and the two module methods. Every call has a deadline; a daemon that is not running is
// an answer ("no cards"), not a hang. Not thread-safe: TokenModule holds a lock around the shared
// link, and each C_Sign uses a link of its own (a PIN prompt takes minutes; slot polling goes on).
#include <p11-kit/pkcs11.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "daemon/local_client.hpp"

namespace sithsd::module {

// $SITHSD_SOCKET, else the daemon's default: $XDG_RUNTIME_DIR/sithsd/sithsd.sock, else
// /tmp/sithsd-UID/sithsd.sock.
std::filesystem::path daemon_socket_path();

// A failed call, as the CK_RV the caller returns.
struct LinkError {
    CK_RV rv;
};

// The CK_RV of a daemon error reason (PROTOCOL.md "Errors"); the one mapping.
CK_RV ckr_for_reason(const std::string& reason);
// The CK_RV of a call that got no answer: CKR_DEVICE_REMOVED when sithsd is not running or went
// away meanwhile, CKR_FUNCTION_FAILED otherwise.
CK_RV ckr_for_failure(daemon::LocalClientFailure failure);

class DaemonLink {
  public:
    // The card list; nullopt when the daemon is not running or does not answer in time.
    std::optional<boost::json::array> cards();
    // moduleSign; throws LinkError.
    std::vector<std::uint8_t> sign(const boost::json::object& params);
    void close() { client_.reset(); }
    // True when the connection is open and nothing has arrived on it (no end-of-file from a
    // daemon that went away): fit to be used again for one more request.
    bool idle_and_open() const;

  private:
    daemon::LocalAnswer call(const char* method, boost::json::object params,
                             std::chrono::milliseconds timeout);
    std::optional<daemon::LocalClient> client_;
};

}  // namespace sithsd::module
