#include "browser-bridge/pkcs11-module/daemon_link.hpp"

#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "protocol/base64.hpp"

namespace sithsd::module {

namespace {

using namespace std::chrono_literals;
constexpr auto kConnectTimeout = 2s;
constexpr auto kQueryTimeout = 5s;
// moduleSign waits for a person at a PIN prompt; the daemon ends the prompt itself after
// prompt_timeout_seconds (120 by default), so this is only the bound if it never answers.
constexpr auto kSignTimeout = 600s;

}  // namespace

std::filesystem::path daemon_socket_path() {
    if (const char* set = std::getenv("SITHSD_SOCKET"); set && *set) return set;
    if (const char* run = std::getenv("XDG_RUNTIME_DIR"); run && *run)
        return std::filesystem::path(run) / "sithsd" / "sithsd.sock";
    return std::filesystem::path("/tmp") / ("sithsd-" + std::to_string(::getuid())) / "sithsd.sock";
}

CK_RV ckr_for_reason(const std::string& reason) {
    static const std::map<std::string, CK_RV, std::less<>> kMapping{
        {"PIN_INCORRECT", CKR_PIN_INCORRECT},
        {"PIN_BLOCKED", CKR_PIN_LOCKED},
        {"USER_CANCELLED", CKR_FUNCTION_CANCELED},
        {"TIMEOUT", CKR_FUNCTION_CANCELED},
        {"CARD_REMOVED", CKR_DEVICE_REMOVED},
        {"NO_CARD", CKR_TOKEN_NOT_PRESENT},
        {"SHUTTING_DOWN", CKR_DEVICE_REMOVED},
        {"CERTIFICATE_NOT_FOUND", CKR_KEY_HANDLE_INVALID},
        {"CERTIFICATE_EXPIRED", CKR_KEY_FUNCTION_NOT_PERMITTED},
        {"INVALID_PARAMS", CKR_MECHANISM_PARAM_INVALID},
        {"TOKEN_ERROR", CKR_DEVICE_ERROR},
        {"BUSY", CKR_FUNCTION_FAILED},
        {"PROMPT_UNAVAILABLE", CKR_FUNCTION_FAILED},
    };
    const auto found = kMapping.find(reason);
    return found == kMapping.end() ? CKR_FUNCTION_FAILED : found->second;
}

CK_RV ckr_for_failure(daemon::LocalClientFailure failure) {
    switch (failure) {
        // sithsd is not there, or went away while the request waited (killed, restarted,
        // stopped): the cards it served are gone with it, as C_GetSlotInfo shows at the next poll.
        // PKCS#11 2.40 §5.1.3: "the token was removed from its slot during the execution of the
        // function"; NSS reports it as SEC_ERROR_NO_TOKEN and reads the slot again, where
        // CKR_FUNCTION_FAILED would say "try the same call again" to a daemon that is gone.
        case daemon::LocalClientFailure::not_running:
        case daemon::LocalClientFailure::closed:
            return CKR_DEVICE_REMOVED;
        // There, but no answer in time or no sense in it.
        case daemon::LocalClientFailure::timed_out:
        case daemon::LocalClientFailure::malformed:
        case daemon::LocalClientFailure::too_long:
        case daemon::LocalClientFailure::io:
            break;
    }
    return CKR_FUNCTION_FAILED;
}

daemon::LocalAnswer DaemonLink::call(const char* method, boost::json::object params,
                                     std::chrono::milliseconds timeout) {
    if (!client_ || !client_->is_open()) {
        client_.reset();
        client_.emplace(daemon::LocalClient::connect(daemon_socket_path(), kConnectTimeout));
        auto intro = client_->call("introduce", {{"as", "browserModule"}}, kQueryTimeout);
        if (!intro.ok()) {
            client_.reset();
            throw daemon::LocalClientError(daemon::LocalClientFailure::malformed,
                                           "introduce refused: " + intro.error->message);
        }
    }
    return client_->call(method, std::move(params), timeout);
}

bool DaemonLink::idle_and_open() const {
    if (!client_ || !client_->is_open()) return false;
    pollfd p{client_->native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
}

std::optional<boost::json::array> DaemonLink::cards() {
    try {
        auto answer = call("moduleCertificates", {}, kQueryTimeout);
        if (!answer.ok() || !answer.result.is_object()) return std::nullopt;
        const auto* cards = answer.result.as_object().if_contains("cards");
        if (!cards || !cards->is_array()) return std::nullopt;
        return cards->as_array();
    } catch (const daemon::LocalClientError&) {
        client_.reset();  // reconnects next time: the daemon may start later
        return std::nullopt;
    }
}

std::vector<std::uint8_t> DaemonLink::sign(const boost::json::object& params) {
    daemon::LocalAnswer answer;
    try {
        answer = call("moduleSign", params, kSignTimeout);
    } catch (const daemon::LocalClientError& e) {
        client_.reset();
        throw LinkError{ckr_for_failure(e.failure())};
    }
    if (!answer.ok()) throw LinkError{ckr_for_reason(answer.error->reason)};
    const auto* signature =
        answer.result.is_object() ? answer.result.as_object().if_contains("signature") : nullptr;
    auto bytes = signature && signature->is_string()
                     ? protocol::base64_decode(signature->get_string())
                     : std::nullopt;
    if (!bytes) throw LinkError{CKR_FUNCTION_FAILED};
    return *bytes;
}

}  // namespace sithsd::module
