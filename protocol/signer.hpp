#pragma once
// The card's part of a signature, as a callback: the library never sees a PIN or a card.

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "protocol/hash_algorithm.hpp"

namespace sithsd::protocol {

// Signs a DIGEST made with the given hash algorithm. For RSA the card makes a PKCS#1 v1.5
// signature (DigestInfo of that algorithm) or, when RSA-PSS was asked for, a PSS signature with
// MGF1 of the same hash and a salt as long as the digest. For ECDSA it returns the raw r||s.
// Throws when the card fails; the exception passes through unchanged.
using DigestSigner =
    std::function<std::vector<std::uint8_t>(HashAlgorithm, std::span<const std::uint8_t> digest)>;

// The padding an RSA key signs with (ignored for EC keys).
enum class RsaPadding { Pkcs1, Pss };

}  // namespace sithsd::protocol
