#include "protocol/method_table.hpp"

#include <array>

namespace sithsd::protocol {

namespace {

using enum OriginAuthority;
constexpr Callers kEveryone{browser_handshake, extension, local_user};
constexpr Callers kLocalPrograms{local_user};
constexpr Callers kBrowserModule{browser_module};  // after introduce {"as": "browserModule"}

// Each parser adapts one of requests.hpp to the table's signature.
template <class Params, ParamsResult<Params> (*Parse)(const boost::json::object&)>
ParamsResult<MethodParams> parse_with(const boost::json::object& params, OriginAuthority) {
    auto parsed = Parse(params);
    if (!parsed) return parsed.error();
    return MethodParams{std::move(*parsed)};
}

ParamsResult<MethodParams> no_params(const boost::json::object&, OriginAuthority) {
    return MethodParams{};
}

ParamsResult<MethodParams> authenticate_params(const boost::json::object& params,
                                               OriginAuthority caller) {
    auto parsed = parse_authenticate(params, caller);
    if (!parsed) return parsed.error();
    return MethodParams{std::move(*parsed)};
}

constexpr auto kListCertificates = parse_with<ListCertificatesParams, parse_list_certificates>;
constexpr auto kSign = parse_with<SignParams, parse_sign>;
constexpr auto kCancel = parse_with<CancelParams, parse_cancel>;
constexpr auto kChangePin = parse_with<PinParams, parse_change_pin>;
constexpr auto kUnblockPin = parse_with<PinParams, parse_unblock_pin>;
constexpr auto kIntroduce = parse_with<IntroduceParams, parse_introduce>;
constexpr auto kModuleSign = parse_with<ModuleSignParams, parse_module_sign>;

//                         name, callers, consent, card, prompts, params
constexpr std::array<MethodRow, 12> kTable{{
    {"hello", kEveryone, false, false, false, no_params},
    {"listCards", kEveryone, true, false, false, no_params},
    {"listCertificates", kEveryone, true, false, false, kListCertificates},
    {"authenticate", kEveryone, true, true, true, authenticate_params},
    {"sign", kEveryone, true, true, true, kSign},
    {"cancel", kEveryone, true, false, false, kCancel},
    {"changePin", kLocalPrograms, true, true, true, kChangePin},
    {"unblockPin", kLocalPrograms, true, true, true, kUnblockPin},
    {"status", kLocalPrograms, true, false, false, no_params},
    {"introduce", kLocalPrograms, false, false, false, kIntroduce},
    {"moduleCertificates", kBrowserModule, true, false, false, no_params},
    {"moduleSign", kBrowserModule, true, true, true, kModuleSign},
}};

}  // namespace

std::span<const MethodRow> method_table() noexcept {
    return kTable;
}

const MethodRow* find_method(std::string_view name) noexcept {
    for (const auto& row : kTable)
        if (row.name == name) return &row;
    return nullptr;
}

std::vector<std::string_view> method_names(OriginAuthority caller) {
    std::vector<std::string_view> names;
    for (const auto& row : kTable)
        if (row.callers.contains(caller)) names.push_back(row.name);
    return names;
}

}  // namespace sithsd::protocol
