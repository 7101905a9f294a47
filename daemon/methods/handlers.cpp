#include "daemon/methods/handlers.hpp"

#include <array>
#include <utility>

namespace sithsd::daemon {

Handler find_handler(std::string_view method) noexcept {
    static constexpr std::array<std::pair<std::string_view, Handler>, 12> kHandlers{{
        {"hello", hello},
        {"listCards", list_cards},
        {"listCertificates", list_certificates},
        {"status", status},
        {"cancel", cancel},
        {"authenticate", authenticate},
        {"sign", sign},
        {"changePin", change_pin},
        {"unblockPin", unblock_pin},
        {"introduce", introduce},
        {"moduleCertificates", module_certificates},
        {"moduleSign", module_sign},
    }};
    for (const auto& [name, handler] : kHandlers)
        if (name == method) return handler;
    return nullptr;
}

}  // namespace sithsd::daemon
