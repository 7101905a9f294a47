// The registrable domain of a host ("eTLD+1": a.b.example.co.uk → example.co.uk), from the Public
// Suffix List as Debian ships it (libpsl, with the publicsuffix package's list when present). Used
// to count consent prompts per site: a page owns every subdomain of its registrable domain and
// could otherwise queue one prompt per made-up subdomain.
#pragma once

#include <string>
#include <string_view>

namespace sithsd::daemon {

// The registrable domain of `host` (lower case, punycode). A host that has none (an IP literal,
// `localhost`, a public suffix itself) is its own.
[[nodiscard]] std::string registrable_domain(std::string_view host);

}  // namespace sithsd::daemon
