#include "daemon/registrable_domain.hpp"

#include <libpsl.h>

namespace sithsd::daemon {

std::string registrable_domain(std::string_view host) {
    // The newest of the list built into libpsl and the one in /usr/share/publicsuffix; loaded once
    // and never changed, so any thread may use it. NULL only without any list at all.
    static const psl_ctx_t* const list = psl_latest(nullptr);
    std::string name(host);
    // IP literals: IPv6 in brackets; IPv4 ends in a numeric label, which no top-level domain is.
    const std::string_view last = host.substr(host.rfind('.') + 1);
    const bool numeric = !last.empty() && last.find_first_not_of("0123456789") == last.npos;
    if (!list || name.empty() || name.front() == '[' || numeric) return name;
    const char* domain = psl_registrable_domain(list, name.c_str());
    return domain ? std::string(domain) : name;
}

}  // namespace sithsd::daemon
