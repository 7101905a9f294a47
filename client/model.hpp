// The daemon's JSON as the objects of sithsd/client.h: listCards, listCertificates, the token,
// signatures, notifications and error answers. Strict where the program relies on a field (ids,
// DER bytes, times), lenient with fields it may not need; a missing required field throws
// Malformed, which the API reports as SITHSD_E_MALFORMED.
#pragma once

#include <boost/json/value.hpp>
#include <stdexcept>
#include <string_view>

#include "client/c_objects.hpp"

namespace sithsd::client {

class Malformed : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

sithsd_card_list parse_cards(const boost::json::value& cards);
sithsd_certificate_list parse_certificates(const boost::json::value& certificates);
sithsd_token parse_token(const boost::json::value& result);
sithsd_signature parse_signature(const boost::json::value& result, sithsd_signature_format format);
sithsd_notification parse_notification(const LocalNotification& notification);

// "2031-01-01T00:00:00Z" (PROTOCOL.md: RFC 3339 UTC) as seconds since the epoch.
std::int64_t parse_time(std::string_view text);

// The wire names of the vocabulary.
sithsd_pin_status pin_status_from_name(std::string_view name) noexcept;
std::string_view purpose_name(sithsd_purpose purpose) noexcept;  // "" for ANY
std::string_view require_name(sithsd_require require) noexcept;  // "" for NONE

// An error answer, and the library's own failures, as sithsd_error.
sithsd_error error_from_answer(const RpcError& error);
sithsd_error error_from_failure(const LocalClientError& failure);
sithsd_error error_of(sithsd_status status, std::string_view message);

}  // namespace sithsd::client
