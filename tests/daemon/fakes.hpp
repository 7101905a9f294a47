#pragma once
// Fakes for the daemon's narrow interfaces (daemon/cards.hpp, methods/services.hpp): the handlers
// and the dispatcher run with them, without a card, a pinentry or a socket.
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/json.hpp>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/cards.hpp"
#include "daemon/config.hpp"
#include "daemon/connection.hpp"
#include "daemon/consent_store.hpp"
#include "daemon/methods/services.hpp"
#include "pkcs11/card_error.hpp"

namespace sithsd::test {

using namespace std::chrono_literals;

// A self-signed EC P-256 certificate (make_auth_token reads its key type from the DER).
std::vector<std::uint8_t> make_certificate_der();

// A certificate on a card, as the card layer describes it.
pkcs11::CardCertificate certificate(const std::string& card_id, const std::string& id,
                                    Purpose purpose, std::optional<std::string> hsa_id,
                                    std::optional<std::string> personnummer = std::nullopt);

class FakeCards final : public daemon::Cards {
  public:
    std::vector<pkcs11::CardInfo> cards_now;
    pkcs11::PinInfo pin_state{pkcs11::PinStatus::ok, false};
    // Thrown by the next sign() (its pin_status becomes pin_state's); empty: sign succeeds.
    std::optional<pkcs11::CardError> sign_error;
    // Thrown by the sign() calls after it, in turn (wrong PIN, wrong PIN, …).
    std::deque<pkcs11::CardError> more_sign_errors;
    bool queue_full = false;
    bool run_at_once = true;  // false: jobs wait in `queued` until run_queued()
    std::deque<std::function<void()>> queued;
    // The card's kept login: whom it serves (sign with keep_for sets it; empty: none is kept).
    std::vector<daemon::LoginHolder> kept_for;

    // What happened.
    std::vector<std::string> pins_used;  // the PINs sign() and change/unblock were given
    int sign_calls = 0;
    int refreshes = 0;
    bool kept = false;   // the last sign() asked to keep the login
    int kept_signs = 0;  // signatures made with the kept login

    std::vector<pkcs11::CardInfo> cards() const override { return cards_now; }
    bool submit(const std::string&, std::function<void()> job) override;
    void run_queued();
    void request_refresh() override { ++refreshes; }
    pkcs11::PinInfo pin_info(const std::string&, PinKind) override { return pin_state; }
    int rereads = 0;
    pkcs11::PinInfo reread_pin(const std::string&, PinKind) override {
        ++rereads;
        return pin_state;
    }
    std::vector<std::uint8_t> sign(const pkcs11::SignatureRequest& request,
                                   const pkcs11::Secret& pin,
                                   const std::optional<daemon::LoginHolder>& keep_for) override;
    std::optional<std::vector<std::uint8_t>> sign_with_kept_login(
        const pkcs11::SignatureRequest& request, const std::string& scope) override;
    std::vector<daemon::LoginHolder> kept_login_holders(const std::string&) const override {
        return kept_for;
    }
    void share_kept_login(const std::string&, const daemon::LoginHolder& holder) override {
        if (!kept_for.empty()) kept_for.push_back(holder);
    }
    void change_pin(const std::string&, PinKind, const pkcs11::Secret& old_pin,
                    const pkcs11::Secret& new_pin) override;
    void unblock_pin(const std::string&, PinKind, const pkcs11::Secret& puk,
                     const pkcs11::Secret& new_pin) override;

  private:
    void throw_next_error();
};

// Answers prompts from a script: "pin 1234", "pin" (empty), "cancel", "timeout", "unavailable",
// "yes", "no".
class FakePrompts final : public daemon::Prompts {
  public:
    std::deque<std::string> script;
    std::vector<daemon::PromptText> shown;  // every prompt's text, in order
    std::function<void()> while_asking;     // runs during a prompt (e.g. a cancel arriving)

    daemon::PromptOutcome get_pin(const daemon::PromptText& text, pkcs11::Secret& pin,
                                  daemon::CancelToken& cancel) override;
    daemon::PromptOutcome confirm(const daemon::PromptText& text,
                                  daemon::CancelToken& cancel) override;
    std::unique_ptr<daemon::PromptMessage> show_message(const daemon::PromptText& text) override;

  private:
    daemon::PromptOutcome next(const daemon::PromptText& text, pkcs11::Secret* pin,
                               daemon::CancelToken& cancel);
};

class FakeAudit final : public daemon::Audit {
  public:
    std::vector<daemon::AuditEntry> lines;
    bool full = false;  // append() fails (a full disk)
    void append(const daemon::AuditEntry& entry) override {
        if (full) throw std::runtime_error("no space left on device");
        lines.push_back(entry);
    }
};

class FixedClock final : public daemon::Clock {
  public:
    std::chrono::system_clock::time_point at = std::chrono::system_clock::now();
    std::chrono::system_clock::time_point now() const override { return at; }
};

// A client: collects what the daemon sends it.
class FakeConnection final : public daemon::Connection {
  public:
    explicit FakeConnection(daemon::Peer peer, std::uint64_t id = 1)
        : peer_(std::move(peer)), id_(id) {}
    const daemon::Peer& peer() const override { return peer_; }
    std::uint64_t id() const override { return id_; }
    void send(std::string text) override {
        std::lock_guard lock(mutex_);
        sent_.push_back(boost::json::parse(text).as_object());
    }
    void close() override {}
    std::vector<boost::json::object> sent() const {
        std::lock_guard lock(mutex_);
        return sent_;
    }

  private:
    daemon::Peer peer_;
    std::uint64_t id_;
    mutable std::mutex mutex_;
    std::vector<boost::json::object> sent_;
};

// Sends one request and returns the answer to it; {} when none came within `wait` (consent
// questions answer from their own thread; everything else at once with these fakes).
boost::json::object answer_to(daemon::MessageHandler& handler,
                              const std::shared_ptr<FakeConnection>& connection,
                              const std::string& method, boost::json::object params, int id,
                              std::chrono::milliseconds wait = 5s);
// data.reason of an error answer, or "no error: …".
std::string error_reason(const boost::json::object& answer);

// What a dispatcher under test is given, as fakes; the consent store in a temporary folder of its
// own (NAME and the pid), removed at the end.
struct FakeServices {
    explicit FakeServices(const std::string& name);
    ~FakeServices();
    FakeServices(const FakeServices&) = delete;
    FakeServices& operator=(const FakeServices&) = delete;

    std::filesystem::path dir;
    daemon::Config config;
    FakeCards cards;
    FakePrompts prompts;
    FakeAudit audit;
    FixedClock clock;
    daemon::ConsentStore consent;
};

daemon::Peer web_peer(const std::string& origin,
                      daemon::OriginStatus status = daemon::OriginStatus::allowed);
daemon::Peer local_peer();

}  // namespace sithsd::test
