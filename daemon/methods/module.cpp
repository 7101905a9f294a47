// The browser's PKCS#11 module (browser-bridge/pkcs11-module/), after introduce
// {"as": "browserModule"}: moduleCertificates lists what TLS login may use, moduleSign signs a
// handshake, for a browser program only. Only identification keys, never a signature
// (nonRepudiation) key: TLS must never reach the signing PIN. The identification PIN is asked
// here, in the daemon's pinentry, never by the browser, and no try is spent by software: a
// blocked PIN is never tried.
#include <spdlog/spdlog.h>

#include "daemon/browser_programs.hpp"
#include "daemon/config.hpp"
#include "daemon/methods/card_job.hpp"
#include "daemon/methods/handlers.hpp"
#include "daemon/methods/identification_login.hpp"
#include "daemon/methods/module_key_json.hpp"
#include "pkcs11/card_error.hpp"
#include "protocol/base64.hpp"

namespace sithsd::daemon {

namespace {

using protocol::ModuleMechanism;

bool offered(const Config& config, const pkcs11::CardCertificate& cert) {
    return cert.info.purpose == Purpose::identification && cert.has_private_key &&
           !cert.info.is_ca && (config.browser_all_certificates || cert.info.hsa_id.has_value());
}

std::optional<pkcs11::CardCertificate> find_offered(const Services& services,
                                                    const std::string& certificate_id) {
    for (const auto& card : services.cards.cards())
        for (const auto& cert : card.certificates)
            if (cert.info.certificate_id == certificate_id && offered(services.config, cert))
                return cert;
    return std::nullopt;
}

std::string_view mechanism_name(ModuleMechanism m) {
    return m == ModuleMechanism::RsaPkcs      ? "RSA_PKCS"
           : m == ModuleMechanism::RsaPkcsPss ? "RSA_PKCS_PSS"
                                              : "ECDSA";
}

pkcs11::SignatureRequest module_request(const pkcs11::CardCertificate& cert,
                                        const protocol::ModuleSignParams& params) {
    pkcs11::SignatureRequest req;
    req.certificate_id = cert.info.certificate_id;
    req.hash = params.hash;
    req.digest = params.data;
    req.scheme =
        params.mechanism == ModuleMechanism::RsaPkcs      ? pkcs11::SignatureScheme::rsa_pkcs1_raw
        : params.mechanism == ModuleMechanism::RsaPkcsPss ? pkcs11::SignatureScheme::rsa_pss
                                                          : pkcs11::SignatureScheme::ecdsa;
    return req;  // ECDSA as r||s, as PKCS#11 returns it
}

}  // namespace

void module_certificates(const Services& services, const Call& call) {
    boost::json::array cards;
    for (const auto& card : services.cards.cards()) {
        boost::json::array certificates;
        for (const auto& cert : card.certificates) {
            if (!offered(services.config, cert)) continue;
            boost::json::object c{
                {"certificateId", cert.info.certificate_id},
                {"label", cert.info.display_name()},
                {"keyType", cert.info.key_type == pkcs11::KeyAlgorithm::ec ? "EC" : "RSA"},
                {"keyBits", cert.info.key_bits},
                {"id", protocol::base64_encode(cert.cka_id)},
                {"certificate", protocol::base64_encode(cert.info.der)},
                {"publicKey", public_key_json(cert.info.der)}};
            for (auto& [k, v] : certificate_names_json(cert.info.der)) c[k] = v;
            certificates.push_back(std::move(c));
        }
        cards.push_back({{"cardId", card.card_id},
                         {"reader", card.reader},
                         {"label", card.label},
                         {"certificates", std::move(certificates)}});
    }
    call.request->answer_result(boost::json::object{{"cards", std::move(cards)}});
}

void module_sign(const Services& services, const Call& call) {
    const auto params = std::get<protocol::ModuleSignParams>(call.params);
    const Peer& peer = call.request->peer();
    AuditEntry entry;
    entry.method = "moduleSign";
    entry.origin = peer.requester();
    entry.hash_algorithm = std::string(mechanism_name(params.mechanism));
    entry.signed_hash_sha256 =
        sha256_hex({reinterpret_cast<const char*>(params.data.data()), params.data.size()});
    // Anything of the user's may introduce itself as the browser module; only a browser makes
    // TLS handshakes (a script signing a DigestInfo of its choice could make a token for any site).
    if (!is_browser_program(peer.program, services.config.browser_programs)) {
        spdlog::warn("moduleSign refused: {} is not a browser (known ones, or browser_programs)",
                     peer.program.empty() ? "pid " + std::to_string(peer.pid) : peer.program);
        return services.jobs.fail(
            call.request, entry,
            protocol::ProtocolError(protocol::ErrorCode::OriginDenied,
                                    "moduleSign is served to browsers only; this program is not "
                                    "one (browser_programs in sithsd.toml names others)."));
    }
    const auto found = find_offered(services, params.certificate_id);
    if (!found)
        return services.jobs.fail(
            call.request, entry,
            protocol::ProtocolError(protocol::ErrorCode::CertificateNotFound,
                                    "No inserted card offers that certificate for TLS login."));
    const auto& cert = *found;
    entry.card_id = cert.card_id;
    entry.certificate_serial = cert.info.serial_hex;
    entry.hsa_id = cert.info.hsa_id.value_or("");
    const bool ec_key = cert.info.key_type == pkcs11::KeyAlgorithm::ec;
    if (ec_key != (params.mechanism == ModuleMechanism::Ecdsa))
        return services.jobs.fail(
            call.request, entry,
            protocol::invalid_params("mechanism", "The mechanism does not fit the key's type."));

    const auto pending = call.request;
    auto body = [&services, pending, cert, params, login = requester_login(services, peer),
                 who = entry.origin](AuditEntry& audit) -> boost::json::value {
        const auto signature = sign_for_requester(services, *pending, audit, login, cert,
                                                  module_request(cert, params), who);
        return boost::json::object{{"signature", protocol::base64_encode(signature)}};
    };
    services.jobs.run(call.request, std::move(entry), cert.card_id, std::move(body));
}

}  // namespace sithsd::daemon
