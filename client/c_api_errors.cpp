// sithsd/client.h: status names and sentences, and what an error tells. The daemon's statuses are
// the codes of protocol/wire_errors.hpp; the checks below make a difference a compile error.
#include <algorithm>

#include "client/c_api.hpp"
#include "protocol/wire_errors.hpp"

using namespace sithsd::client;
using sithsd::protocol::ErrorCode;

namespace {

// Each of the table's codes as the header's status (a missing case is a -Wswitch error).
constexpr sithsd_status status_of(ErrorCode code) {
    switch (code) {
        case ErrorCode::ParseError:
            return SITHSD_E_PARSE_ERROR;
        case ErrorCode::InvalidRequest:
            return SITHSD_E_INVALID_REQUEST;
        case ErrorCode::MethodNotFound:
            return SITHSD_E_METHOD_NOT_FOUND;
        case ErrorCode::InvalidParams:
            return SITHSD_E_INVALID_PARAMS;
        case ErrorCode::InternalError:
            return SITHSD_E_INTERNAL_ERROR;
        case ErrorCode::OriginDenied:
            return SITHSD_E_ORIGIN_DENIED;
        case ErrorCode::UserCancelled:
            return SITHSD_E_USER_CANCELLED;
        case ErrorCode::NoCard:
            return SITHSD_E_NO_CARD;
        case ErrorCode::CardRemoved:
            return SITHSD_E_CARD_REMOVED;
        case ErrorCode::CertificateNotFound:
            return SITHSD_E_CERTIFICATE_NOT_FOUND;
        case ErrorCode::CertificateSelectionRequired:
            return SITHSD_E_CERTIFICATE_SELECTION_REQUIRED;
        case ErrorCode::PinIncorrect:
            return SITHSD_E_PIN_INCORRECT;
        case ErrorCode::PinBlocked:
            return SITHSD_E_PIN_BLOCKED;
        case ErrorCode::PromptUnavailable:
            return SITHSD_E_PROMPT_UNAVAILABLE;
        case ErrorCode::Busy:
            return SITHSD_E_BUSY;
        case ErrorCode::Timeout:
            return SITHSD_E_TIMEOUT;
        case ErrorCode::TokenError:
            return SITHSD_E_TOKEN_ERROR;
        case ErrorCode::CertificateExpired:
            return SITHSD_E_CERTIFICATE_EXPIRED;
        case ErrorCode::LocalOnly:
            return SITHSD_E_LOCAL_ONLY;
        case ErrorCode::RateLimited:
            return SITHSD_E_RATE_LIMITED;
        case ErrorCode::ShuttingDown:
            return SITHSD_E_SHUTTING_DOWN;
    }
    return SITHSD_E_DAEMON_OTHER;
}
// The header's numbers are the wire's, so error_from_answer() may cast a code to a status.
static_assert(std::ranges::all_of(sithsd::protocol::kWireErrors, [](const auto& row) {
    return static_cast<int>(status_of(row.code)) == static_cast<int>(row.code);
}));

struct LibraryStatus {
    sithsd_status status;
    const char* name;
    const char* message;
    bool retryable;
};

// The library's own statuses (the header's 0..99).
constexpr LibraryStatus kLibraryStatuses[] = {
    {SITHSD_OK, "OK", "Success.", false},
    {SITHSD_E_INVALID_ARGUMENT, "INVALID_ARGUMENT", "An argument is missing or malformed.", false},
    {SITHSD_E_NO_MEMORY, "NO_MEMORY", "Out of memory.", true},
    {SITHSD_E_NOT_RUNNING, "NOT_RUNNING", "sithsd is not running.", true},
    {SITHSD_E_TIMED_OUT, "TIMED_OUT", "sithsd did not answer in time.", true},
    {SITHSD_E_CLOSED, "CLOSED", "The connection to sithsd is closed.", true},
    {SITHSD_E_MALFORMED, "MALFORMED", "sithsd sent something this library cannot read.", false},
    {SITHSD_E_TOO_LONG, "TOO_LONG", "sithsd sent an answer longer than the library accepts.",
     false},
    {SITHSD_E_IO, "IO", "A socket error.", true},
    {SITHSD_E_INTERNAL, "INTERNAL", "A fault in libsithsd-client.", false},
    {SITHSD_E_NO_NOTIFICATION, "NO_NOTIFICATION", "No notification came in time.", true},
};

const LibraryStatus* library_status(sithsd_status status) {
    for (const auto& row : kLibraryStatuses)
        if (row.status == status) return &row;
    return nullptr;
}

}  // namespace

SITHSD_EXPORT const char* sithsd_status_name(sithsd_status status) {
    if (const auto* row = library_status(status)) return row->name;
    if (const auto* row = sithsd::protocol::find_wire_error(static_cast<ErrorCode>(status)))
        return row->reason.data();  // the table's literals are NUL-terminated
    return "UNKNOWN";
}

SITHSD_EXPORT const char* sithsd_status_message(sithsd_status status) {
    if (const auto* row = library_status(status)) return row->message;
    if (const auto* row = sithsd::protocol::find_wire_error(static_cast<ErrorCode>(status)))
        return row->message.data();
    return "An error this version of libsithsd-client does not know.";
}

SITHSD_EXPORT int sithsd_status_retryable(sithsd_status status) {
    if (const auto* row = library_status(status)) return row->retryable ? 1 : 0;
    if (const auto* row = sithsd::protocol::find_wire_error(static_cast<ErrorCode>(status)))
        return row->retryable ? 1 : 0;
    return 0;
}

SITHSD_EXPORT sithsd_status sithsd_error_status(const sithsd_error* error) {
    return error ? error->status : SITHSD_OK;
}

SITHSD_EXPORT int64_t sithsd_error_code(const sithsd_error* error) {
    return error ? error->code : 0;
}

SITHSD_EXPORT const char* sithsd_error_reason(const sithsd_error* error) {
    return error ? error->reason.c_str() : "OK";
}

SITHSD_EXPORT const char* sithsd_error_message(const sithsd_error* error) {
    return error ? error->message.c_str() : "";
}

SITHSD_EXPORT sithsd_pin_status sithsd_error_pin_status(const sithsd_error* error) {
    return error ? error->pin_status : SITHSD_PIN_UNKNOWN;
}

SITHSD_EXPORT int sithsd_error_tries_left(const sithsd_error* error) {
    return error ? error->tries_left : -1;
}

SITHSD_EXPORT const char* sithsd_error_field(const sithsd_error* error) {
    return error ? text_or_null(error->field) : nullptr;
}

SITHSD_EXPORT const char* sithsd_error_ckr(const sithsd_error* error) {
    return error ? text_or_null(error->ckr) : nullptr;
}

SITHSD_EXPORT const sithsd_certificate_list* sithsd_error_candidates(const sithsd_error* error) {
    return error && error->candidates ? &*error->candidates : nullptr;
}
