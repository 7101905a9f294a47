// sign: a raw signature or a CMS (CAdES-BES) over the data or hash, with the signing PIN asked
// for every signature and the whole displayText shown in the prompt.
#include "daemon/config.hpp"
#include "daemon/methods/card_job.hpp"
#include "daemon/methods/certificate_choice.hpp"
#include "daemon/methods/handlers.hpp"
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
    entry.display_text_sha256 = sha256_hex(params->display_text);
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
        const pkcs11::PinInfo pin_state = cards.pin_info(cert.card_id, PinKind::signing);
        if (pin_state.status == pkcs11::PinStatus::locked)
            throw pkcs11::CardError(pkcs11::CardErrorReason::pin_locked, "blocked");
        const std::vector<std::uint8_t> digest =
            params->hash ? *params->hash : protocol::hash(params->hash_algorithm, *params->data);
        audit.signed_hash_sha256 = hex_sha256(digest);
        // The signing PIN: asked for every signature, shown with the whole text, never kept.
        const PinPromptFacts facts{
            services.config.language, PinKind::signing, who,
            cert.info.display_name(), pin_state.status, params->display_text};
        pkcs11::Secret pin;
        std::unique_ptr<PromptMessage> pad_message;
        ask_pin(services.prompts, *pending, facts, pin_state, pin, pad_message);
        auto signer = [&](HashAlgorithm hash, std::span<const std::uint8_t> d) {
            return cards.sign(card_request(cert, hash, d), pin, false);
        };
        boost::json::object result;
        if (params->format == protocol::SignFormat::Cms) {
            protocol::CmsSignInput input;
            input.certificate_der = cert.info.der;
            input.display_text = params->display_text;
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
