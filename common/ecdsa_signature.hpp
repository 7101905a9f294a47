#pragma once
// The two forms of an ECDSA signature: PKCS#11 and JWS use r||s (each half as long as the curve's
// order), CMS and OpenSSL the DER ECDSA-Sig-Value. Converted here once for every layer.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace sithsd {

// DER ECDSA-Sig-Value from r||s; empty when raw is empty or of odd length.
std::vector<std::uint8_t> ecdsa_raw_to_der(std::span<const std::uint8_t> raw);
// r||s, each half bytes long, from DER; empty when der is not exactly one ECDSA-Sig-Value or a
// value does not fit in half bytes.
std::vector<std::uint8_t> ecdsa_der_to_raw(std::span<const std::uint8_t> der, std::size_t half);

}  // namespace sithsd
