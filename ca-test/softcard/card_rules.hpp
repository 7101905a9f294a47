#pragma once
// The soft card's fixed rules, shared by the files of Module: which slot is which, PIN lengths,
// the mechanisms of each key kind.

#include <p11-kit/pkcs11.h>

#include <iterator>
#include <vector>

#include "ca-test/softcard/state_store.hpp"
#include "ca-test/softcard/token_objects.hpp"

namespace sithsd::softcard {

inline constexpr CK_ULONG kMinPinLen = 4;
inline constexpr CK_ULONG kMaxPinLen = 16;

// Card i owns slot 2i (identification) and 2i+1 (signing).
inline bool is_signing_slot(CK_SLOT_ID slot) {
    return slot % 2 == 1;
}

// The PIN a slot's user logs in with, or the card's PUK.
inline PinState& pin_of(CardState& st, CK_SLOT_ID slot, bool puk) {
    if (puk) return st.puk;
    return is_signing_slot(slot) ? st.signing : st.identification;
}

inline std::vector<CK_MECHANISM_TYPE> mechanisms_for(KeyKind kind) {
    static constexpr CK_MECHANISM_TYPE kRsa[] = {CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS,
                                                 CKM_SHA384_RSA_PKCS, CKM_SHA512_RSA_PKCS,
                                                 CKM_RSA_PKCS_PSS};
    static constexpr CK_MECHANISM_TYPE kEc[] = {CKM_ECDSA, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384,
                                                CKM_ECDSA_SHA512};
    if (kind == KeyKind::rsa) return {std::begin(kRsa), std::end(kRsa)};
    if (kind == KeyKind::ec) return {std::begin(kEc), std::end(kEc)};
    return {};
}

}  // namespace sithsd::softcard
