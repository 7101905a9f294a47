// What the opaque handles of sithsd/client.h are inside, and how they are owned: every object the
// library hands out is allocated behind a small header (a magic number and its destructor), so
// that the one sithsd_free() releases any of them. The magic (cleared on free) makes a second free
// of the same object a no-op while its memory is not reused: a guard, not a promise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/session.hpp"
#include "sithsd/client.h"

namespace sithsd::client {

// --- ownership ---
struct OwnedHeader {
    std::uint64_t magic;
    void (*destroy)(void* payload);
};
inline constexpr std::uint64_t kOwnedMagic = 0x73697468'73646f62;  // "sithsdob"
inline constexpr std::size_t kHeaderSize =
    (sizeof(OwnedHeader) + alignof(std::max_align_t) - 1) & ~(alignof(std::max_align_t) - 1);

OwnedHeader* header_of(void* payload) noexcept;
void* allocate_owned(std::size_t payload_size, void (*destroy)(void*)) noexcept;

// A T constructed behind a header; nullptr when memory or T's constructor fails.
template <class T, class... Args>
T* make_owned(Args&&... args) noexcept {
    void* memory = allocate_owned(sizeof(T), [](void* p) { static_cast<T*>(p)->~T(); });
    if (!memory) return nullptr;
    try {
        return new (memory) T(std::forward<Args>(args)...);
    } catch (...) {
        header_of(memory)->destroy = [](void*) {};
        sithsd_free(memory);
        return nullptr;
    }
}
// A NUL-terminated copy, freed with sithsd_free; nullptr when out of memory.
char* owned_string(std::string_view text) noexcept;

}  // namespace sithsd::client

// --- the handles ---
struct sithsd_client {
    std::unique_ptr<sithsd::client::Session> session;
    std::chrono::milliseconds timeout{300'000};
    sithsd_notification_callback callback = nullptr;
    void* callback_data = nullptr;
};

struct PinState {
    sithsd_pin_status status = SITHSD_PIN_UNKNOWN;
    bool pin_pad = false;
};

struct sithsd_card {
    std::string id, reader, label;
    PinState identification, signing;
};

struct sithsd_card_list {
    std::vector<sithsd_card> cards;
};

struct sithsd_certificate {
    std::string id, card_id;
    sithsd_purpose purpose = SITHSD_PURPOSE_ANY;
    std::vector<std::uint8_t> der;
    std::string display_name, common_name, issuer, key_algorithm;
    std::optional<std::string> organization, hsa_id, personal_identity_number;
    std::int64_t not_before = 0, not_after = 0;
};

struct sithsd_certificate_list {
    std::vector<sithsd_certificate> certificates;
};

struct sithsd_token {
    std::string json, algorithm;
    std::vector<std::uint8_t> certificate_der;
};

struct sithsd_signature {
    sithsd_signature_format format = SITHSD_FORMAT_CMS;
    std::vector<std::uint8_t> bytes, certificate_der;
    std::optional<std::string> algorithm;
};

struct sithsd_notification {
    sithsd_notification_kind kind = SITHSD_NOTIFICATION_OTHER;
    std::string method, params_json;
    std::optional<sithsd_card_list> cards;
    std::optional<std::string> certificate_id;
    std::int64_t not_after = 0;
    int days_left = 0;
};

struct sithsd_error {
    sithsd_status status = SITHSD_E_INTERNAL;
    std::int64_t code = 0;
    std::string reason, message;
    sithsd_pin_status pin_status = SITHSD_PIN_UNKNOWN;
    int tries_left = -1;
    std::optional<std::string> field, ckr;
    std::optional<sithsd_certificate_list> candidates;
};
