// sign: a raw signature or a CMS (CAdES-BES) over the data or hash, with the signing PIN asked
// for every signature and the whole displayText shown in the prompt (or, for a raw signature
// without one, a plain statement that the page did not say what is signed).
#include "daemon/config.hpp"
#include "daemon/methods/card_job.hpp"
#include "daemon/methods/certificate_choice.hpp"
#include "daemon/methods/handlers.hpp"
#include "daemon/methods/pin_asker.hpp"
#include "pkcs11/card_error.hpp"
#include "protocol/base64.hpp"
#include "protocol/cms_builder.hpp"

namespace sithsd::daemon {

namespace {

// The name of a raw signature's algorithm as JWS names them: RS256/384/512 by the hash for RSA
// (PKCS#1 v1.5), ES256/384/512 by the curve for ECDSA.
std::string raw_algorithm_name(const pkcs11::CardCertificate& cert, HashAlgorithm hash) {
    if (cert.info.key_type == pkcs11::KeyAlgorithm::ec)
        return cert.info.key_algorithm == "EC-P384"   ? "ES384"
               : cert.info.key_algorithm == "EC-P521" ? "ES512"
                                                      : "ES256";
    return hash == HashAlgorithm::sha384   ? "RS384"
           : hash == HashAlgorithm::sha512 ? "RS512"
                                           : "RS256";
}

std::string hex_sha256(std::span<const std::uint8_t> bytes) {
    return sha256_hex({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
}

}  // namespace

void sign(const Services& services, const Call& call) {
    auto params =
        std::make_shared<protocol::SignParams>(std::get<protocol::SignParams>(call.params));
    AuditEntry entry;
    entry.method = "sign";
    entry.origin = call.request->peer().requester();
    entry.hash_algorithm = std::string(protocol::hash_algorithm_name(params->hash_algorithm));
    if (params->display_text) entry.display_text_sha256 = sha256_hex(*params->display_text);
    const auto cards_now = services.cards.cards();
    auto choice = choose_certificate(cards_now, Purpose::signing, params->certificate_id,
                                     std::nullopt, services.clock.now());
    if (choice.error) return services.jobs.fail(call.request, entry, *choice.error);
    const auto cert = *choice.certificate;
    entry.card_id = cert.card_id;
    entry.certificate_serial = cert.info.serial_hex;
    entry.hsa_id = cert.info.hsa_id.value_or("");
    std::vector<std::vector<std::uint8_t>> authorities;  // the chain, for `openssl cms -verify`
    for (const auto& card : cards_now)
        if (card.card_id == cert.card_id) authorities = card.authority_certificates;

    const auto pending = call.request;
    auto body = [&services, pending, cert, params, authorities,
                 who = entry.origin](AuditEntry& audit) -> boost::json::value {
        Cards& cards = services.cards;
        const std::vector<std::uint8_t> digest =
            params->hash ? *params->hash : protocol::hash(params->hash_algorithm, *params->data);
        audit.signed_hash_sha256 = hex_sha256(digest);
        // The signing PIN: asked for every signature, shown with the whole text, never kept.
        PinAsker asker(services, *pending, audit, cert.card_id, PinKind::signing,
                       key_pin_text(services, cert, PinKind::signing, who, params->display_text));
        auto signer = [&](HashAlgorithm hash, std::span<const std::uint8_t> d) {
            return asker.with_pin<std::vector<std::uint8_t>>([&](const pkcs11::Secret& pin) {
                return cards.sign(card_request(cert, hash, d), pin, std::nullopt);
            });
        };
        boost::json::object result;
        if (params->format == protocol::SignFormat::Cms) {
            protocol::CmsSignInput input;
            input.certificate_der = cert.info.der;
            input.display_text = *params->display_text;  // required with cms
            input.hash_algorithm = params->hash_algorithm;
            input.content_digest = digest;
            input.extra_certificates = authorities;
            result["cms"] = protocol::base64_encode(protocol::build_cms(input, signer));
        } else {
            result["signature"] = protocol::base64_encode(signer(params->hash_algorithm, digest));
            result["algorithm"] = raw_algorithm_name(cert, params->hash_algorithm);
        }
        result["certificate"] = protocol::base64_encode(cert.info.der);
        return result;
    };
    services.jobs.run(call.request, std::move(entry), cert.card_id, std::move(body));
}

}  // namespace sithsd::daemon
