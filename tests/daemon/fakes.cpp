#include "fakes.hpp"

#include <openssl/ec.h>
#include <unistd.h>

#include <memory>
#include <thread>

namespace sithsd::test {

namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};

std::string text_of(const pkcs11::Secret& secret) {
    return {reinterpret_cast<const char*>(secret.data()), secret.size()};
}

}  // namespace

std::vector<std::uint8_t> make_certificate_der() {
    std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>> key(
        EVP_EC_gen(const_cast<char*>("P-256")));
    std::unique_ptr<X509, Deleter<X509, X509_free>> cert(X509_new());
    if (!key || !cert) throw std::runtime_error("OpenSSL could not make a test certificate");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("Test"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key.get());
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
        throw std::runtime_error("OpenSSL could not sign a test certificate");
    unsigned char* der = nullptr;
    const int n = i2d_X509(cert.get(), &der);
    std::vector<std::uint8_t> out(der, der + n);
    OPENSSL_free(der);
    return out;
}

pkcs11::CardCertificate certificate(const std::string& card_id, const std::string& id,
                                    Purpose purpose, std::optional<std::string> hsa_id,
                                    std::optional<std::string> personnummer) {
    static const std::vector<std::uint8_t> der = make_certificate_der();
    pkcs11::CardCertificate c;
    c.card_id = card_id;
    c.has_private_key = true;
    c.info.der = der;
    c.info.certificate_id = id;
    c.info.purpose = purpose;
    c.info.given_name = "Tolvan";
    c.info.surname = "Tolvansson";
    c.info.common_name = "Tolvan Tolvansson";
    c.info.hsa_id = std::move(hsa_id);
    c.info.personal_identity_number = std::move(personnummer);
    c.info.serial_hex = "01";
    c.info.key_type = pkcs11::KeyAlgorithm::ec;
    c.info.key_algorithm = "EC-P256";
    c.info.key_bits = 256;
    const auto now = std::chrono::system_clock::now();
    c.info.not_before = now - 24h;
    c.info.not_after = now + 24h * 365;
    return c;
}

bool FakeCards::submit(const std::string&, std::function<void()> job) {
    if (queue_full) return false;
    if (run_at_once)
        job();
    else
        queued.push_back(std::move(job));
    return true;
}

void FakeCards::throw_next_error() {
    if (!sign_error) return;
    auto e = *sign_error;
    sign_error.reset();
    if (!more_sign_errors.empty()) {
        sign_error = more_sign_errors.front();
        more_sign_errors.pop_front();
    }
    if (e.pin_status) pin_state.status = *e.pin_status;  // the card counts the try
    throw e;
}

void FakeCards::run_queued() {
    while (!queued.empty()) {
        auto job = std::move(queued.front());
        queued.pop_front();
        job();
    }
}

namespace {

// r||s of P-256: 64 bytes (make_auth_token checks the size, not the value).
std::vector<std::uint8_t> made_signature(const pkcs11::SignatureRequest& request) {
    return std::vector<std::uint8_t>(request.scheme == pkcs11::SignatureScheme::ecdsa ? 64 : 256,
                                     0x5a);
}

}  // namespace

std::vector<std::uint8_t> FakeCards::sign(const pkcs11::SignatureRequest& request,
                                          const pkcs11::Secret& pin,
                                          const std::optional<daemon::LoginHolder>& keep_for) {
    ++sign_calls;
    pins_used.push_back(text_of(pin));
    kept = keep_for.has_value();
    kept_for.clear();  // a fresh login ends the kept one, as the card layer does
    throw_next_error();
    if (pin_state.status != pkcs11::PinStatus::locked)
        pin_state.status = pkcs11::PinStatus::ok;  // a right PIN resets the card's counter
    if (keep_for) kept_for = {*keep_for};
    return made_signature(request);
}

std::optional<std::vector<std::uint8_t>> FakeCards::sign_with_kept_login(
    const pkcs11::SignatureRequest& request, const std::string& scope) {
    for (const auto& holder : kept_for)
        if (holder.scope == scope) {
            ++kept_signs;
            return made_signature(request);
        }
    return std::nullopt;
}

void FakeCards::change_pin(const std::string&, PinKind, const pkcs11::Secret& old_pin,
                           const pkcs11::Secret& new_pin) {
    pins_used.push_back(text_of(old_pin));
    pins_used.push_back(text_of(new_pin));
    throw_next_error();
}

void FakeCards::unblock_pin(const std::string& card, PinKind kind, const pkcs11::Secret& puk,
                            const pkcs11::Secret& new_pin) {
    change_pin(card, kind, puk, new_pin);
}

daemon::PromptOutcome FakePrompts::get_pin(const daemon::PromptText& text, pkcs11::Secret& pin,
                                           daemon::CancelToken& cancel) {
    return next(text, &pin, cancel);
}

daemon::PromptOutcome FakePrompts::confirm(const daemon::PromptText& text,
                                           daemon::CancelToken& cancel) {
    return next(text, nullptr, cancel);
}

std::unique_ptr<daemon::PromptMessage> FakePrompts::show_message(const daemon::PromptText& text) {
    shown.push_back(text);
    return nullptr;
}

daemon::PromptOutcome FakePrompts::next(const daemon::PromptText& text, pkcs11::Secret* pin,
                                        daemon::CancelToken& cancel) {
    shown.push_back(text);
    if (while_asking) std::exchange(while_asking, nullptr)();
    if (cancel.cancelled()) return daemon::PromptOutcome::cancelled;
    const std::string answer = script.empty() ? "cancel" : script.front();
    if (!script.empty()) script.pop_front();
    if (answer == "pin" && pin) return daemon::PromptOutcome::ok;  // Enter on an empty field
    if (answer.rfind("pin ", 0) == 0 && pin) {
        for (char c : answer.substr(4)) (void)pin->push_back(c);
        return daemon::PromptOutcome::ok;
    }
    if (answer == "yes") return daemon::PromptOutcome::ok;
    if (answer == "timeout") return daemon::PromptOutcome::timeout;
    if (answer == "unavailable") return daemon::PromptOutcome::unavailable;
    return daemon::PromptOutcome::cancelled;  // "cancel", "no"
}

boost::json::object answer_to(daemon::MessageHandler& handler,
                              const std::shared_ptr<FakeConnection>& connection,
                              const std::string& method, boost::json::object params, int id,
                              std::chrono::milliseconds wait) {
    const auto before = connection->sent().size();
    boost::json::object request{
        {"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
    handler.on_message(connection, boost::json::serialize(request));
    const auto deadline = std::chrono::steady_clock::now() + wait;
    do {
        const auto sent = connection->sent();
        for (auto i = before; i < sent.size(); ++i)
            if (sent[i].contains("id") && sent[i].at("id") == id) return sent[i];
        std::this_thread::sleep_for(2ms);  // polling the fake's inbox, with a deadline
    } while (std::chrono::steady_clock::now() < deadline);
    return {};
}

std::string error_reason(const boost::json::object& answer) {
    if (!answer.contains("error")) return "no error: " + boost::json::serialize(answer);
    return std::string(answer.at("error").at("data").at("reason").as_string());
}

FakeServices::FakeServices(const std::string& name)
    : dir(std::filesystem::temp_directory_path() /
          ("sithsd-" + name + "-" + std::to_string(::getpid()))),
      consent(dir / "origins.json") {}

FakeServices::~FakeServices() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
}

daemon::Peer web_peer(const std::string& origin, daemon::OriginStatus status) {
    daemon::Peer peer;
    peer.transport = Transport::websocket;
    peer.authority = OriginAuthority::browser_handshake;
    peer.origin = protocol::parse_origin(origin);
    peer.origin_status = status;
    return peer;
}

daemon::Peer local_peer() {
    daemon::Peer peer;
    peer.transport = Transport::unix_socket;
    peer.authority = OriginAuthority::local_user;
    peer.pid = 4242;
    peer.program = "/usr/bin/journal-app";
    return peer;
}

}  // namespace sithsd::test
