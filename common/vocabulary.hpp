#pragma once
// The words every layer shares, defined once: the protocol parses them from JSON, the card layer
// acts on them, the daemon passes them between the two without translating.

#include <string_view>

namespace sithsd {

// What a certificate (and its key) is for. Identification: digitalSignature without
// nonRepudiation. Signing: nonRepudiation.
enum class Purpose { identification, signing };

// The two PINs of a SITHS card. Which slot holds which is decided by the certificates' key usage.
enum class PinKind { identification, signing };

// The hash algorithms of the protocol ("SHA-256", "SHA-384", "SHA-512") and of the card layer.
enum class HashAlgorithm { sha256, sha384, sha512 };

// How a client reached the daemon.
enum class Transport { websocket, unix_socket };

// Who vouches for the origin a client acts for. The method table says which of them may call a
// method; the policy (allow/deny lists, consent, rate limit) applies to the origins that a browser
// vouches for.
enum class OriginAuthority {
    browser_handshake,  // a page: the Origin header of the WebSocket handshake, checked before
                        // upgrade
    local_user,      // a program of the same user over the Unix socket; it names an origin itself
                     // only where the protocol lets it (authenticate's `origin`)
    extension,       // our browser extension (native messaging): the origin the browser gave it
    browser_module,  // the browser's PKCS#11 module (TLS client login): no page origin
};

// An origin that a browser vouches for: the allow/deny lists, consent and rate limit apply.
constexpr bool browser_vouched(OriginAuthority a) noexcept {
    return a == OriginAuthority::browser_handshake || a == OriginAuthority::extension;
}

// The wire names: "identification" | "signing".
constexpr std::string_view purpose_name(Purpose p) noexcept {
    return p == Purpose::identification ? "identification" : "signing";
}
constexpr std::string_view pin_kind_name(PinKind p) noexcept {
    return p == PinKind::identification ? "identification" : "signing";
}

}  // namespace sithsd
