#pragma once
// Every method of PROTOCOL.md, one row each: who may call it, what it needs and its params parser.
// The dispatcher derives everything from here: hello's "methods" list, METHOD_NOT_FOUND,
// LOCAL_ONLY, consent and rate limiting. Adding a method is a row here plus its handler in
// daemon/methods/.

#include <boost/json/object.hpp>
#include <initializer_list>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "common/vocabulary.hpp"
#include "protocol/module_requests.hpp"
#include "protocol/requests.hpp"

namespace sithsd::protocol {

// A method's params once parsed; monostate for methods that take none.
using MethodParams =
    std::variant<std::monostate, ListCertificatesParams, AuthenticateParams, SignParams,
                 CancelParams, PinParams, IntroduceParams, ModuleSignParams>;
using ParamsParser = ParamsResult<MethodParams> (*)(const boost::json::object& params,
                                                    OriginAuthority caller);

// A set of origin authorities (who may call a method).
class Callers {
  public:
    constexpr Callers(std::initializer_list<OriginAuthority> authorities) {
        for (auto a : authorities) bits_ |= bit(a);
    }
    [[nodiscard]] constexpr bool contains(OriginAuthority a) const { return (bits_ & bit(a)) != 0; }

  private:
    static constexpr unsigned bit(OriginAuthority a) { return 1u << static_cast<unsigned>(a); }
    unsigned bits_ = 0;
};

struct MethodRow {
    std::string_view name;
    Callers callers;
    bool needs_consent;  // the caller's origin must be allowed (by the config or the person)
    bool needs_card;     // runs as a card job: on the card's queue, audited, answered once
    bool prompts;        // asks the person (a PIN): rate limited for browser-vouched origins
    ParamsParser parse;
};

// The rows in PROTOCOL.md's order (the order hello lists them in; nothing else depends on it).
[[nodiscard]] std::span<const MethodRow> method_table() noexcept;
// nullptr for a method nobody may call (METHOD_NOT_FOUND).
[[nodiscard]] const MethodRow* find_method(std::string_view name) noexcept;
// hello's "methods": the names this caller may call.
[[nodiscard]] std::vector<std::string_view> method_names(OriginAuthority caller);
// Whether a call counts against the caller's origin's rate limit.
[[nodiscard]] constexpr bool rate_limited(const MethodRow& row, OriginAuthority caller) noexcept {
    return row.prompts && browser_vouched(caller);
}

}  // namespace sithsd::protocol
