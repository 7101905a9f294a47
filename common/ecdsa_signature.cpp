#include "common/ecdsa_signature.hpp"

#include <limits>

#include "common/openssl_owners.hpp"

namespace sithsd {

std::vector<std::uint8_t> ecdsa_raw_to_der(std::span<const std::uint8_t> raw) {
    if (raw.empty() || raw.size() % 2 != 0 ||
        raw.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        return {};
    const int half = static_cast<int>(raw.size() / 2);
    ossl::EcdsaSigPtr sig(ECDSA_SIG_new());
    ossl::BnPtr r(BN_bin2bn(raw.data(), half, nullptr));
    ossl::BnPtr s(BN_bin2bn(raw.data() + half, half, nullptr));
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
    (void)r.release();  // sig owns r and s now
    (void)s.release();
    const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
    if (length <= 0) return {};
    std::vector<std::uint8_t> out(static_cast<std::size_t>(length));
    unsigned char* p = out.data();
    i2d_ECDSA_SIG(sig.get(), &p);
    return out;
}

std::vector<std::uint8_t> ecdsa_der_to_raw(std::span<const std::uint8_t> der, std::size_t half) {
    if (der.empty() || half == 0 || half > 1024) return {};
    const unsigned char* p = der.data();
    ossl::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    if (!sig || p != der.data() + der.size()) return {};
    std::vector<std::uint8_t> out(2 * half);
    const int width = static_cast<int>(half);
    if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out.data(), width) != width ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out.data() + half, width) != width)
        return {};
    return out;
}

}  // namespace sithsd
