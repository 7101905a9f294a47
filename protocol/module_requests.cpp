#include "protocol/module_requests.hpp"

#include "protocol/base64.hpp"
#include "protocol/hash_algorithm.hpp"

namespace sithsd::protocol {

namespace {

std::size_t hash_length(HashAlgorithm hash) {
    return hash == HashAlgorithm::sha512 ? 64 : hash == HashAlgorithm::sha384 ? 48 : 32;
}

}  // namespace

ParamsResult<ModuleSignParams> parse_module_sign(const boost::json::object& params) {
    ModuleSignParams out;
    const auto* id = params.if_contains("certificateId");
    if (!id || !id->is_string() || id->get_string().empty())
        return invalid_params("certificateId", "certificateId is required.");
    out.certificate_id = std::string(id->get_string());

    const auto* mechanism = params.if_contains("mechanism");
    const std::string_view m =
        mechanism && mechanism->is_string() ? std::string_view(mechanism->get_string()) : "";
    if (m == "RSA_PKCS")
        out.mechanism = ModuleMechanism::RsaPkcs;
    else if (m == "RSA_PKCS_PSS")
        out.mechanism = ModuleMechanism::RsaPkcsPss;
    else if (m == "ECDSA")
        out.mechanism = ModuleMechanism::Ecdsa;
    else
        return invalid_params("mechanism",
                              "mechanism must be \"RSA_PKCS\", \"RSA_PKCS_PSS\" or \"ECDSA\".");

    const auto* data = params.if_contains("data");
    if (!data || !data->is_string() ||
        base64_decoded_size(data->get_string()) > kMaxModuleSignBytes)
        return invalid_params("data", "data must be base64 of at most 1024 bytes.");
    auto bytes = base64_decode(data->get_string());
    if (!bytes || bytes->empty()) return invalid_params("data", "data must be base64.");
    out.data = std::move(*bytes);

    if (out.mechanism != ModuleMechanism::RsaPkcsPss) return out;
    auto named = [&](std::string_view key) -> std::optional<HashAlgorithm> {
        const auto* v = params.if_contains(key);
        if (!v || !v->is_string()) return std::nullopt;
        return hash_algorithm_from_name(v->get_string());
    };
    const auto hash = named("hash");
    if (!hash)
        return invalid_params("hash", "hash must be \"SHA-256\", \"SHA-384\" or \"SHA-512\".");
    if (named("mgf") != hash)
        return invalid_params("mgf", "mgf must be MGF1 with the same hash (as TLS 1.3 uses).");
    const auto* salt = params.if_contains("saltLength");
    if (!salt || !salt->is_int64() ||
        salt->as_int64() != static_cast<std::int64_t>(hash_length(*hash)))
        return invalid_params("saltLength", "saltLength must be the hash's length.");
    if (out.data.size() != hash_length(*hash))
        return invalid_params("data", "For RSA_PKCS_PSS, data is the hash.");
    out.hash = *hash;
    return out;
}

}  // namespace sithsd::protocol
