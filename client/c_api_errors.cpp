// sithsd/client.h: status names and sentences, and what an error tells. The daemon's statuses are
// the codes of protocol/wire_errors.hpp; the checks below make a difference a compile error.
#include <algorithm>

#include "client/c_api.hpp"
#include "protocol/wire_errors.hpp"

using namespace sithsd::client;
using sithsd::protocol::ErrorCode;

namespace {

// Each of the table's codes beside the header's status of the same name.
struct Named {
    ErrorCode code;
    sithsd_status status;
};
constexpr Named kHeaderStatuses[] = {
    {ErrorCode::ParseError, SITHSD_E_PARSE_ERROR},
    {ErrorCode::InvalidRequest, SITHSD_E_INVALID_REQUEST},
    {ErrorCode::MethodNotFound, SITHSD_E_METHOD_NOT_FOUND},
    {ErrorCode::InvalidParams, SITHSD_E_INVALID_PARAMS},
    {ErrorCode::InternalError, SITHSD_E_INTERNAL_ERROR},
    {ErrorCode::OriginDenied, SITHSD_E_ORIGIN_DENIED},
    {ErrorCode::UserCancelled, SITHSD_E_USER_CANCELLED},
    {ErrorCode::NoCard, SITHSD_E_NO_CARD},
    {ErrorCode::CardRemoved, SITHSD_E_CARD_REMOVED},
    {ErrorCode::CertificateNotFound, SITHSD_E_CERTIFICATE_NOT_FOUND},
    {ErrorCode::CertificateSelectionRequired, SITHSD_E_CERTIFICATE_SELECTION_REQUIRED},
    {ErrorCode::PinIncorrect, SITHSD_E_PIN_INCORRECT},
    {ErrorCode::PinBlocked, SITHSD_E_PIN_BLOCKED},
    {ErrorCode::PromptUnavailable, SITHSD_E_PROMPT_UNAVAILABLE},
    {ErrorCode::Busy, SITHSD_E_BUSY},
    {ErrorCode::Timeout, SITHSD_E_TIMEOUT},
    {ErrorCode::TokenError, SITHSD_E_TOKEN_ERROR},
    {ErrorCode::CertificateExpired, SITHSD_E_CERTIFICATE_EXPIRED},
    {ErrorCode::LocalOnly, SITHSD_E_LOCAL_ONLY},
    {ErrorCode::RateLimited, SITHSD_E_RATE_LIMITED},
    {ErrorCode::ShuttingDown, SITHSD_E_SHUTTING_DOWN},
};
// Every row of the table has its status, with the wire's number, so that error_from_answer() may
// cast a code to a status (a row added to the table without a status here fails to compile).
static_assert(std::ranges::all_of(sithsd::protocol::kWireErrors, [](const auto& row) {
    return std::ranges::any_of(kHeaderStatuses, [&](const Named& named) {
        return named.code == row.code &&
               static_cast<int>(named.status) == static_cast<int>(row.code);
    });
}));
static_assert(std::size(kHeaderStatuses) == sithsd::protocol::kWireErrors.size());

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
