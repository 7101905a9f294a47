// Mechanisms and C_Sign of TokenModule: what the key may do is checked here, the signature is
// made by sithsd (moduleSign) on a connection of its own, without holding the module's locks, so
// that slot polling and other sessions go on while the person types the PIN.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include "browser-bridge/pkcs11-module/token_module.hpp"
#include "protocol/base64.hpp"

namespace sithsd::module {

namespace {

constexpr std::array<CK_MECHANISM_TYPE, 3> kMechanisms{CKM_RSA_PKCS, CKM_RSA_PKCS_PSS, CKM_ECDSA};
constexpr CK_ULONG kMaxEcdsaInput = 64;  // a SHA-512 hash; a browser never gives more

// The hash name of PSS params, when the MGF uses the same hash and the salt is its length (TLS 1.3;
// what the card layer signs). nullptr otherwise.
const char* pss_hash(const CK_RSA_PKCS_PSS_PARAMS& p) {
    struct Known {
        CK_MECHANISM_TYPE hash;
        CK_RSA_PKCS_MGF_TYPE mgf;
        CK_ULONG length;
        const char* name;
    };
    static constexpr Known kKnown[]{{CKM_SHA256, CKG_MGF1_SHA256, 32, "SHA-256"},
                                    {CKM_SHA384, CKG_MGF1_SHA384, 48, "SHA-384"},
                                    {CKM_SHA512, CKG_MGF1_SHA512, 64, "SHA-512"}};
    for (const auto& k : kKnown)
        if (p.hashAlg == k.hash) return p.mgf == k.mgf && p.sLen == k.length ? k.name : nullptr;
    return nullptr;
}

}  // namespace

CK_RV TokenModule::mechanism_list(CK_SLOT_ID id, CK_MECHANISM_TYPE* list, CK_ULONG* count) {
    if (!count) return CKR_ARGUMENTS_BAD;
    {
        std::lock_guard lock(state_);
        if (!slot_of(id)) return CKR_SLOT_ID_INVALID;
    }
    if (!list) {
        *count = kMechanisms.size();
        return CKR_OK;
    }
    if (*count < kMechanisms.size()) {
        *count = kMechanisms.size();
        return CKR_BUFFER_TOO_SMALL;
    }
    std::copy(kMechanisms.begin(), kMechanisms.end(), list);
    *count = kMechanisms.size();
    return CKR_OK;
}

CK_RV TokenModule::mechanism_info(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO* info) {
    if (!info) return CKR_ARGUMENTS_BAD;
    {
        std::lock_guard lock(state_);
        if (!slot_of(id)) return CKR_SLOT_ID_INVALID;
    }
    switch (type) {
        case CKM_RSA_PKCS:
        case CKM_RSA_PKCS_PSS:
            *info = {1024, 4096, CKF_HW | CKF_SIGN};
            return CKR_OK;
        case CKM_ECDSA:
            *info = {256, 521,
                     CKF_HW | CKF_SIGN | CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS};
            return CKR_OK;
        default:
            return CKR_MECHANISM_INVALID;
    }
}

CK_RV TokenModule::sign_init(CK_SESSION_HANDLE handle, const CK_MECHANISM* mechanism,
                             CK_OBJECT_HANDLE key) {
    if (!mechanism) return CKR_ARGUMENTS_BAD;
    std::lock_guard lock(state_);
    Session* session = session_of(handle);
    if (!session) return CKR_SESSION_HANDLE_INVALID;
    if (session->signing) return CKR_OPERATION_ACTIVE;
    const TokenObject* object = object_of(*session, key);
    if (!object) return CKR_KEY_HANDLE_INVALID;
    if (object->object_class != CKO_PRIVATE_KEY) return CKR_KEY_FUNCTION_NOT_PERMITTED;
    boost::json::object params{{"certificateId", object->certificate_id}};
    CK_ULONG max_data = 0;
    switch (mechanism->mechanism) {
        case CKM_RSA_PKCS:
            if (object->ec) return CKR_KEY_TYPE_INCONSISTENT;
            params["mechanism"] = "RSA_PKCS";
            max_data = object->signature_length - 11;  // PKCS#1 v1.5 padding
            break;
        case CKM_RSA_PKCS_PSS: {
            if (object->ec) return CKR_KEY_TYPE_INCONSISTENT;
            CK_RSA_PKCS_PSS_PARAMS pss;
            if (!mechanism->pParameter || mechanism->ulParameterLen != sizeof pss)
                return CKR_MECHANISM_PARAM_INVALID;
            std::memcpy(&pss, mechanism->pParameter, sizeof pss);
            const char* hash = pss_hash(pss);
            if (!hash) return CKR_MECHANISM_PARAM_INVALID;
            params["mechanism"] = "RSA_PKCS_PSS";
            params["hash"] = hash;
            params["mgf"] = hash;
            params["saltLength"] = pss.sLen;
            max_data = pss.sLen;  // the hash
            break;
        }
        case CKM_ECDSA:
            if (!object->ec) return CKR_KEY_TYPE_INCONSISTENT;
            params["mechanism"] = "ECDSA";
            max_data = kMaxEcdsaInput;
            break;
        default:
            return CKR_MECHANISM_INVALID;
    }
    session->signing = SignOperation{key, std::move(params), max_data};
    return CKR_OK;
}

namespace {
constexpr std::chrono::seconds kSpareLinkIdle{300};  // well within the daemon's 600 s
}

DaemonLink TokenModule::take_sign_link() {
    std::lock_guard lock(spare_mutex_);
    std::optional<DaemonLink> spare = std::exchange(spare_link_, std::nullopt);
    if (spare && spare->idle_and_open() &&
        std::chrono::steady_clock::now() - spare_since_ < kSpareLinkIdle)
        return std::move(*spare);
    return DaemonLink{};
}

void TokenModule::keep_sign_link(DaemonLink link) {
    if (!link.idle_and_open()) return;
    std::lock_guard lock(spare_mutex_);
    if (spare_link_) return;  // one is enough; this one closes
    spare_link_ = std::move(link);
    spare_since_ = std::chrono::steady_clock::now();
}

CK_RV TokenModule::sign(CK_SESSION_HANDLE handle, const CK_BYTE* data, CK_ULONG length,
                        CK_BYTE* signature, CK_ULONG* signature_length) {
    boost::json::object params;
    CK_ULONG size = 0;
    {
        std::lock_guard lock(state_);
        Session* session = session_of(handle);
        if (!session) return CKR_SESSION_HANDLE_INVALID;
        if (!session->signing) return CKR_OPERATION_NOT_INITIALIZED;
        const TokenObject* key = object_of(*session, session->signing->key);
        if (!key) {
            session->signing.reset();
            return CKR_DEVICE_REMOVED;
        }
        if ((!data && length) || !signature_length) {
            session->signing.reset();
            return CKR_ARGUMENTS_BAD;
        }
        size = key->signature_length;
        // The two-call convention: the length first (or again); the operation stays active.
        if (!signature) {
            *signature_length = size;
            return CKR_OK;
        }
        if (*signature_length < size) {
            *signature_length = size;
            return CKR_BUFFER_TOO_SMALL;
        }
        const CK_ULONG max_data = session->signing->max_data;
        params = std::move(session->signing->params);
        session->signing.reset();  // C_Sign ends the operation, however it ends
        const bool pss = params.at("mechanism") == "RSA_PKCS_PSS";
        if (length == 0 || length > max_data || (pss && length != max_data))
            return CKR_DATA_LEN_RANGE;
    }
    params["data"] = protocol::base64_encode({data, length});
    // A connection of its own (the PIN prompt may take minutes), the kept one when it is free.
    DaemonLink link = take_sign_link();
    std::vector<std::uint8_t> made;
    try {
        made = link.sign(params);
    } catch (const LinkError& e) {
        keep_sign_link(std::move(link));  // an error answer leaves the connection usable
        return e.rv;
    }
    keep_sign_link(std::move(link));
    if (made.size() > *signature_length) return CKR_FUNCTION_FAILED;
    std::memcpy(signature, made.data(), made.size());
    *signature_length = made.size();
    return CKR_OK;
}

}  // namespace sithsd::module
