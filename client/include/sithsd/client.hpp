// sithsd/client.hpp: the C++ interface of libsithsd-client (C++17 or later), header-only over the
// C interface of sithsd/client.h, so that no C++ type crosses the library's ABI: a program built
// with another compiler or standard library links the same libsithsd-client.so.0.
//
//   sithsd::Client client = sithsd::Client::connect();
//   for (const auto& card : client.list_cards()) std::cout << card.reader << '\n';
//   sithsd::SignRequest request;
//   request.display_text = "Attest av beställning 42";
//   request.data = bytes;
//   sithsd::Signature cms = client.sign(request);
//
// Failures throw sithsd::Error (status, reason, pin_status, tries_left, candidates…). The
// threading rules are sithsd/client.h's: calls on one Client run one at a time, cancel() works
// from any thread, notification callbacks run where process() is called. docs/DESKTOP.md.
#ifndef SITHSD_CLIENT_HPP
#define SITHSD_CLIENT_HPP

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sithsd/client.h"

namespace sithsd {

using Status = sithsd_status;
using Bytes = std::vector<std::uint8_t>;

enum class Purpose {
    any = SITHSD_PURPOSE_ANY,
    identification = SITHSD_PURPOSE_IDENTIFICATION,
    signing = SITHSD_PURPOSE_SIGNING
};
enum class PinKind { identification = SITHSD_PIN_IDENTIFICATION, signing = SITHSD_PIN_SIGNING };
enum class PinStatus {
    unknown = SITHSD_PIN_UNKNOWN,
    ok = SITHSD_PIN_OK,
    count_low = SITHSD_PIN_COUNT_LOW,
    final_try = SITHSD_PIN_FINAL_TRY,
    locked = SITHSD_PIN_LOCKED
};
enum class Require {
    none = SITHSD_REQUIRE_NONE,
    hsa_id = SITHSD_REQUIRE_HSA_ID,
    personal_identity_number = SITHSD_REQUIRE_PERSONAL_IDENTITY_NUMBER
};
enum class Format { cms = SITHSD_FORMAT_CMS, raw = SITHSD_FORMAT_RAW };
enum class Hash {
    sha256 = SITHSD_HASH_SHA256,
    sha384 = SITHSD_HASH_SHA384,
    sha512 = SITHSD_HASH_SHA512
};
using TimePoint = std::chrono::system_clock::time_point;

namespace detail {
struct Free {
    void operator()(void* object) const noexcept { sithsd_free(object); }
};
template <class T>
using Owned = std::unique_ptr<T, Free>;
inline std::string text(const char* value) {
    return value ? std::string(value) : std::string();
}
inline std::optional<std::string> optional_text(const char* value) {
    return value ? std::optional<std::string>(value) : std::nullopt;
}
inline Bytes bytes(const std::uint8_t* data, std::size_t length) {
    return data ? Bytes(data, data + length) : Bytes();
}
inline TimePoint time(std::int64_t seconds) {
    return TimePoint(std::chrono::seconds(seconds));
}
}  // namespace detail

struct PinState {
    PinStatus status = PinStatus::unknown;
    bool pin_pad = false;
};

struct Card {
    std::string id, reader, label;
    PinState identification, signing;

    static Card from(const sithsd_card* card) {
        auto pin = [&](sithsd_pin_kind kind) {
            return PinState{static_cast<PinStatus>(sithsd_card_pin_status(card, kind)),
                            sithsd_card_pin_pad(card, kind) != 0};
        };
        return Card{detail::text(sithsd_card_id(card)), detail::text(sithsd_card_reader(card)),
                    detail::text(sithsd_card_label(card)), pin(SITHSD_PIN_IDENTIFICATION),
                    pin(SITHSD_PIN_SIGNING)};
    }
    static std::vector<Card> list(const sithsd_card_list* cards) {
        std::vector<Card> out;
        for (std::size_t i = 0; i < sithsd_card_list_size(cards); ++i)
            out.push_back(from(sithsd_card_list_at(cards, i)));
        return out;
    }
};

struct Certificate {
    std::string id, card_id;
    Purpose purpose = Purpose::any;
    Bytes der;
    std::string display_name, common_name, issuer, key_algorithm;
    std::optional<std::string> organization, hsa_id, personal_identity_number;
    TimePoint not_before, not_after;

    static Certificate from(const sithsd_certificate* c) {
        std::size_t length = 0;
        const std::uint8_t* der = sithsd_certificate_der(c, &length);
        Certificate out;
        out.id = detail::text(sithsd_certificate_id(c));
        out.card_id = detail::text(sithsd_certificate_card_id(c));
        out.purpose = static_cast<Purpose>(sithsd_certificate_purpose(c));
        out.der = detail::bytes(der, length);
        out.display_name = detail::text(sithsd_certificate_display_name(c));
        out.common_name = detail::text(sithsd_certificate_common_name(c));
        out.issuer = detail::text(sithsd_certificate_issuer(c));
        out.key_algorithm = detail::text(sithsd_certificate_key_algorithm(c));
        out.organization = detail::optional_text(sithsd_certificate_organization(c));
        out.hsa_id = detail::optional_text(sithsd_certificate_hsa_id(c));
        out.personal_identity_number =
            detail::optional_text(sithsd_certificate_personal_identity_number(c));
        out.not_before = detail::time(sithsd_certificate_not_before(c));
        out.not_after = detail::time(sithsd_certificate_not_after(c));
        return out;
    }
    static std::vector<Certificate> list(const sithsd_certificate_list* certificates) {
        std::vector<Certificate> out;
        for (std::size_t i = 0; i < sithsd_certificate_list_size(certificates); ++i)
            out.push_back(from(sithsd_certificate_list_at(certificates, i)));
        return out;
    }
};

// The web-eid:1.0 token of authenticate: send json to the backend as it is.
struct Token {
    std::string json, algorithm;
    Bytes certificate;
};

struct Signature {
    Format format = Format::cms;
    Bytes bytes;                           // the DER CMS, or the bare signature
    std::optional<std::string> algorithm;  // raw: "RS256", "ES256", …
    Bytes certificate;
};

// What went wrong: the status (the daemon's reason or the library's), and what the daemon said.
class Error : public std::runtime_error {
  public:
    explicit Error(const sithsd_error* e)
        : std::runtime_error(std::string(sithsd_error_reason(e)) + ": " + sithsd_error_message(e)),
          status_(sithsd_error_status(e)),
          code_(sithsd_error_code(e)),
          reason_(sithsd_error_reason(e)),
          pin_status_(static_cast<PinStatus>(sithsd_error_pin_status(e))),
          tries_left_(sithsd_error_tries_left(e)),
          field_(detail::optional_text(sithsd_error_field(e))),
          ckr_(detail::optional_text(sithsd_error_ckr(e))),
          candidates_(Certificate::list(sithsd_error_candidates(e))) {}
    explicit Error(Status status)
        : std::runtime_error(std::string(sithsd_status_name(status)) + ": " +
                             sithsd_status_message(status)),
          status_(status),
          reason_(sithsd_status_name(status)) {}

    [[nodiscard]] Status status() const noexcept { return status_; }
    [[nodiscard]] std::int64_t code() const noexcept { return code_; }  // 0: the library's
    [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
    [[nodiscard]] bool retryable() const noexcept { return sithsd_status_retryable(status_) != 0; }
    [[nodiscard]] PinStatus pin_status() const noexcept { return pin_status_; }
    [[nodiscard]] std::optional<int> tries_left() const {
        return tries_left_ >= 0 ? std::optional<int>(tries_left_) : std::nullopt;
    }
    [[nodiscard]] const std::optional<std::string>& field() const noexcept { return field_; }
    [[nodiscard]] const std::optional<std::string>& ckr() const noexcept { return ckr_; }
    [[nodiscard]] const std::vector<Certificate>& candidates() const noexcept {
        return candidates_;
    }

  private:
    Status status_;
    std::int64_t code_ = 0;
    std::string reason_;
    PinStatus pin_status_ = PinStatus::unknown;
    int tries_left_ = -1;
    std::optional<std::string> field_, ckr_;
    std::vector<Certificate> candidates_;
};

namespace detail {
// Throws the error of a failed call.
inline void check(Status status, sithsd_error* error) {
    Owned<sithsd_error> owned(error);
    if (status == SITHSD_OK) return;
    if (owned) throw Error(owned.get());
    throw Error(status);
}
}  // namespace detail

struct Notification {
    enum class Kind {
        other = SITHSD_NOTIFICATION_OTHER,
        cards_changed = SITHSD_NOTIFICATION_CARDS_CHANGED,
        certificate_expiring = SITHSD_NOTIFICATION_CERTIFICATE_EXPIRING
    };
    Kind kind = Kind::other;
    std::string method, params_json;
    std::vector<Card> cards;                    // cards_changed
    std::optional<std::string> certificate_id;  // certificate_expiring
    TimePoint not_after;
    int days_left = 0;

    static Notification from(const sithsd_notification* n) {
        Notification out;
        out.kind = static_cast<Kind>(sithsd_notification_kind_of(n));
        out.method = detail::text(sithsd_notification_method(n));
        out.params_json = detail::text(sithsd_notification_params_json(n));
        out.cards = Card::list(sithsd_notification_cards(n));
        out.certificate_id = detail::optional_text(sithsd_notification_certificate_id(n));
        out.not_after = detail::time(sithsd_notification_not_after(n));
        out.days_left = sithsd_notification_days_left(n);
        return out;
    }
};

struct CertificateFilter {
    Purpose purpose = Purpose::any;
    Require require = Require::none;
    std::optional<std::string> card_id;
};

struct AuthenticateRequest {
    std::string origin;           // the https origin of the program's own backend
    std::string challenge_nonce;  // that backend's nonce
    std::optional<std::string> certificate_id;
    Require require = Require::none;
};

struct SignRequest {
    std::string display_text;                    // what the person is shown and signs
    Bytes data;                                  // what is signed (at most 512 KiB), or:
    std::optional<std::pair<Hash, Bytes>> hash;  // a hash the program made
    Format format = Format::cms;
    std::optional<std::string> certificate_id;
};

class Client {
  public:
    using NotificationHandler = std::function<void(const Notification&)>;

    // socket_path empty: sithsd_default_socket_path(). Throws Error (NOT_RUNNING, TIMED_OUT…).
    static Client connect(const std::string& socket_path = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        sithsd_client* client = nullptr;
        sithsd_error* error = nullptr;
        const auto status = sithsd_connect(socket_path.empty() ? nullptr : socket_path.c_str(),
                                           static_cast<int>(timeout.count()), &client, &error);
        detail::check(status, error);
        return Client(client);
    }

    Client(Client&&) noexcept = default;
    Client& operator=(Client&&) noexcept = default;

    // The longest a call waits for its answer (a person at a PIN prompt: minutes).
    void set_timeout(std::chrono::milliseconds timeout) {
        const auto status = sithsd_set_timeout(get(), static_cast<int>(timeout.count()));
        detail::check(status, nullptr);
    }
    // From any thread: the call in progress ends with USER_CANCELLED.
    void cancel() noexcept { sithsd_cancel(get()); }

    std::string hello() {
        char* version = nullptr;
        sithsd_error* error = nullptr;
        const auto status = sithsd_hello(get(), &version, &error);
        detail::check(status, error);
        return take(version);
    }
    // Any method by name, params and result as JSON text.
    std::string call(const std::string& method, const std::string& params_json = "{}") {
        char* result = nullptr;
        sithsd_error* error = nullptr;
        const auto status =
            sithsd_call(get(), method.c_str(), params_json.c_str(), &result, &error);
        detail::check(status, error);
        return take(result);
    }

    std::vector<Card> list_cards() {
        sithsd_card_list* cards = nullptr;
        sithsd_error* error = nullptr;
        const auto status = sithsd_list_cards(get(), &cards, &error);
        detail::check(status, error);
        detail::Owned<sithsd_card_list> owned(cards);
        return Card::list(cards);
    }

    std::vector<Certificate> list_certificates(const CertificateFilter& filter = {}) {
        sithsd_certificate_list* certificates = nullptr;
        sithsd_error* error = nullptr;
        const auto status = sithsd_list_certificates(
            get(), static_cast<sithsd_purpose>(filter.purpose),
            static_cast<sithsd_require>(filter.require),
            filter.card_id ? filter.card_id->c_str() : nullptr, &certificates, &error);
        detail::check(status, error);
        detail::Owned<sithsd_certificate_list> owned(certificates);
        return Certificate::list(certificates);
    }

    Token authenticate(const AuthenticateRequest& request) {
        sithsd_token* token = nullptr;
        sithsd_error* error = nullptr;
        const auto status =
            sithsd_authenticate(get(), request.origin.c_str(), request.challenge_nonce.c_str(),
                                request.certificate_id ? request.certificate_id->c_str() : nullptr,
                                static_cast<sithsd_require>(request.require), &token, &error);
        detail::check(status, error);
        detail::Owned<sithsd_token> owned(token);
        std::size_t length = 0;
        const std::uint8_t* der = sithsd_token_certificate_der(token, &length);
        return Token{sithsd_token_json(token), sithsd_token_algorithm(token),
                     detail::bytes(der, length)};
    }

    Signature sign(const SignRequest& request) {
        sithsd_signature* signature = nullptr;
        sithsd_error* error = nullptr;
        const char* certificate =
            request.certificate_id ? request.certificate_id->c_str() : nullptr;
        const auto format = static_cast<sithsd_signature_format>(request.format);
        const auto status =
            request.hash
                ? sithsd_sign_hash(get(), certificate, request.display_text.c_str(), format,
                                   static_cast<sithsd_hash>(request.hash->first),
                                   request.hash->second.data(), request.hash->second.size(),
                                   &signature, &error)
                : sithsd_sign(get(), certificate, request.display_text.c_str(), format,
                              request.data.data(), request.data.size(), &signature, &error);
        detail::check(status, error);
        detail::Owned<sithsd_signature> owned(signature);
        std::size_t length = 0, certificate_length = 0;
        const std::uint8_t* bytes = sithsd_signature_bytes(signature, &length);
        const std::uint8_t* der = sithsd_signature_certificate_der(signature, &certificate_length);
        return Signature{static_cast<Format>(sithsd_signature_format_of(signature)),
                         detail::bytes(bytes, length),
                         detail::optional_text(sithsd_signature_algorithm(signature)),
                         detail::bytes(der, certificate_length)};
    }

    void change_pin(const std::string& card_id, PinKind pin) {
        sithsd_error* error = nullptr;
        const auto status =
            sithsd_change_pin(get(), card_id.c_str(), static_cast<sithsd_pin_kind>(pin), &error);
        detail::check(status, error);
    }
    void unblock_pin(const std::string& card_id, PinKind pin) {
        sithsd_error* error = nullptr;
        const auto status =
            sithsd_unblock_pin(get(), card_id.c_str(), static_cast<sithsd_pin_kind>(pin), &error);
        detail::check(status, error);
    }

    // Notifications by callback (run by process(), on its caller's thread; what the handler
    // throws comes out of process()) …
    void on_notification(NotificationHandler handler) {
        handler_->function = std::move(handler);
        const auto status = sithsd_set_notification_callback(
            get(), handler_->function ? &Client::deliver : nullptr, handler_.get());
        detail::check(status, nullptr);
    }
    // … watched in a main loop: fd() readable → process(0).
    [[nodiscard]] int fd() const noexcept { return sithsd_fd(client_.get()); }
    void process(std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
        const auto status = sithsd_process(get(), static_cast<int>(timeout.count()));
        if (auto thrown = std::exchange(handler_->thrown, nullptr)) std::rethrow_exception(thrown);
        detail::check(status, nullptr);
    }
    // … or taken one at a time (without a callback); nullopt when none came in time.
    std::optional<Notification> next_notification(std::chrono::milliseconds timeout) {
        sithsd_notification* notification = nullptr;
        const auto status =
            sithsd_next_notification(get(), static_cast<int>(timeout.count()), &notification);
        if (status == SITHSD_E_NO_NOTIFICATION) return std::nullopt;
        detail::check(status, nullptr);
        detail::Owned<sithsd_notification> owned(notification);
        return Notification::from(notification);
    }

    // The C handle, for the functions of sithsd/client.h.
    [[nodiscard]] sithsd_client* get() const noexcept { return client_.get(); }

  private:
    // The handler, and what it threw: kept until process() returns, since no exception may
    // unwind through the C library.
    struct Handler {
        NotificationHandler function;
        std::exception_ptr thrown;
    };
    explicit Client(sithsd_client* client)
        : client_(client), handler_(std::make_unique<Handler>()) {}
    static std::string take(char* text) {
        detail::Owned<char> owned(text);
        return detail::text(text);
    }
    static void deliver(const sithsd_notification* notification, void* data) {
        auto* handler = static_cast<Handler*>(data);
        try {
            handler->function(Notification::from(notification));
        } catch (...) {
            if (!handler->thrown) handler->thrown = std::current_exception();  // the first one
        }
    }

    detail::Owned<sithsd_client> client_;
    std::unique_ptr<Handler> handler_;  // stays put when the Client moves
};

}  // namespace sithsd

#endif  // SITHSD_CLIENT_HPP
