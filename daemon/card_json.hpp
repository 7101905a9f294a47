#pragma once
// The card layer's model as the JSON of PROTOCOL.md (listCards, listCertificates, notifications).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "pkcs11/card_model.hpp"
#include "protocol/openssl_util.hpp"

namespace sithsd::daemon {

// RFC 3339 UTC, whole seconds: "2031-01-01T00:00:00Z".
using protocol::ossl::rfc3339;

boost::json::object card_json(const pkcs11::CardInfo& card);
boost::json::array cards_json(const std::vector<pkcs11::CardInfo>& cards);
boost::json::object certificate_json(const pkcs11::CardCertificate& cert,
                                     std::chrono::system_clock::time_point now);

}  // namespace sithsd::daemon
