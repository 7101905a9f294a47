#pragma once
// The objects of one token (one slot of a card): private keys, certificates and public keys with
// the attributes pkcs11-tool and OpenSC-like clients read, built from the card's PEM files.

#include <p11-kit/pkcs11.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "ca-test/softcard/config.hpp"
#include "common/openssl_owners.hpp"

namespace sithsd::softcard {

struct TokenObject {
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    CK_OBJECT_CLASS object_class = CKO_DATA;
    bool is_private = false;           // CKA_PRIVATE: visible only after C_Login(CKU_USER)
    bool always_authenticate = false;  // private keys of the signing slot
    std::map<CK_ATTRIBUTE_TYPE, std::vector<std::uint8_t>> attributes;
    std::set<CK_ATTRIBUTE_TYPE> sensitive;  // exist but are never revealed
    std::shared_ptr<EVP_PKEY> key;          // private keys only
};

enum class KeyKind { none, rsa, ec };

// The objects of `card` that belong to `slot`, with handles slot_id * 1000 + n (n from 1).
std::vector<TokenObject> load_token_objects(const CardConfig& card, SlotKind slot,
                                            CK_SLOT_ID slot_id);

// Does the object have every attribute of the template with the same value?
bool matches(const TokenObject& object, const CK_ATTRIBUTE* templ, CK_ULONG count);

}  // namespace sithsd::softcard
