// The one translator between the C ABI and the C++ inside (STYLE.md example 1): every exported
// function runs its body in guarded(), which turns each exception into a sithsd_status and a
// sithsd_error, so that nothing thrown ever crosses the ABI.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <new>
#include <string_view>

#include "client/c_objects.hpp"
#include "client/model.hpp"

// Every function of sithsd/client.h is defined with this: exported (the version script keeps
// only sithsd_*; the rest of the library is hidden).
#define SITHSD_EXPORT extern "C" __attribute__((visibility("default")))

namespace sithsd::client {

// Hands `details` to the caller (when it asked for them) and returns their status.
sithsd_status fail(sithsd_error** error, sithsd_error details) noexcept;
inline sithsd_status invalid_argument(sithsd_error** error, std::string_view what) noexcept {
    try {
        return fail(error, error_of(SITHSD_E_INVALID_ARGUMENT, what));
    } catch (...) {
        return SITHSD_E_INVALID_ARGUMENT;
    }
}

template <class Body>
sithsd_status guarded(sithsd_error** error, Body&& body) noexcept {
    if (error) *error = nullptr;
    try {
        return body();
    } catch (const LocalClientError& e) {
        return fail(error, error_from_failure(e));
    } catch (const Malformed& e) {
        return fail(error, error_of(SITHSD_E_MALFORMED, e.what()));
    } catch (const std::bad_alloc&) {
        return fail(error, error_of(SITHSD_E_NO_MEMORY, "out of memory"));
    } catch (const std::exception& e) {
        return fail(error, error_of(SITHSD_E_INTERNAL, e.what()));
    } catch (...) {
        return fail(error, error_of(SITHSD_E_INTERNAL, "unknown failure"));
    }
}

// One request on the client: SITHSD_OK with *result set, or the daemon's error as a status.
sithsd_status request(sithsd_client* client, sithsd_error** error, std::string_view method,
                      boost::json::object params, boost::json::value& result);

// Moves `value` behind a header into *out.
template <class T>
sithsd_status hand_out(T** out, sithsd_error** error, T&& value) {
    T* owned = make_owned<T>(std::move(value));
    if (!owned) return fail(error, error_of(SITHSD_E_NO_MEMORY, "out of memory"));
    *out = owned;
    return SITHSD_OK;
}

// The bytes of a vector for an accessor with a length out-parameter.
inline const std::uint8_t* bytes_out(const std::vector<std::uint8_t>& bytes,
                                     std::size_t* length) noexcept {
    if (length) *length = bytes.size();
    return bytes.data();
}
inline const char* text_or_null(const std::optional<std::string>& text) noexcept {
    return text ? text->c_str() : nullptr;
}

}  // namespace sithsd::client
