// authenticate: a Web eID-style token signed with the identification key, after the
// identification PIN (or a login the identification PIN cache kept for this requester).
#include "daemon/methods/card_job.hpp"
#include "daemon/methods/certificate_choice.hpp"
#include "daemon/methods/handlers.hpp"
#include "daemon/methods/identification_login.hpp"
#include "pkcs11/card_error.hpp"
#include "protocol/auth_token.hpp"
#include "protocol/origin.hpp"

namespace sithsd::daemon {

namespace {

const char* kAppVersion = "https://github.com/sithsd/sithsd/releases/v" SITHSD_VERSION;

}  // namespace

void authenticate(const Services& services, const Call& call) {
    const auto& params = std::get<protocol::AuthenticateParams>(call.params);
    const Peer& peer = call.request->peer();
    AuditEntry entry;
    entry.method = "authenticate";
    entry.origin = peer.requester();
    // The origin in the token: the one a browser vouches for, or the one a local program named
    // (the table's parser let `origin` through only for a local program).
    std::string origin = peer.origin_text();
    if (!peer.origin) {
        auto named = protocol::parse_origin(params.origin.value_or(""));
        if (!named)
            return services.jobs.fail(
                call.request, entry,
                protocol::invalid_params(
                    "origin", "origin must be an origin such as https://service.example.se"));
        origin = named->serialize();
        entry.origin = peer.requester(origin);
    }
    auto choice = choose_certificate(services.cards.cards(), Purpose::identification,
                                     params.certificate_id, params.require, services.clock.now());
    if (choice.error) return services.jobs.fail(call.request, entry, *choice.error);
    const auto cert = *choice.certificate;
    entry.card_id = cert.card_id;
    entry.certificate_serial = cert.info.serial_hex;
    entry.hsa_id = cert.info.hsa_id.value_or("");
    entry.hash_algorithm = std::string(protocol::hash_algorithm_name(protocol::jws_hash(
        protocol::jws_algorithm_for(cert.info.der).value_or(protocol::JwsAlgorithm::RS256))));

    const auto pending = call.request;
    auto body = [&services, pending, cert, origin, nonce = params.challenge_nonce,
                 login = requester_login(services, peer),
                 who = entry.origin](AuditEntry& audit) -> boost::json::value {
        auto signer = [&](HashAlgorithm hash, std::span<const std::uint8_t> digest) {
            return sign_for_requester(services, *pending, audit, login, cert,
                                      card_request(cert, hash, digest), who);
        };
        return protocol::make_auth_token(cert.info.der, origin, nonce, signer, kAppVersion);
    };
    services.jobs.run(call.request, std::move(entry), cert.card_id, std::move(body));
}

}  // namespace sithsd::daemon
