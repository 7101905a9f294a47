#pragma once
// What sithsctl says when the daemon answers with an error: a sentence in the configured language
// (Swedish first), the tries left after a wrong PIN, the parameter named as sithsctl's flag
// (`--cert`, not `certificateId`), and the wire reason last for scripts ("… (PIN_BLOCKED)").
#include <string>

#include "client/local_client.hpp"

namespace sithsd::daemon {

std::string ctl_error_text(const sithsd::client::RpcError& error, const std::string& language);

}  // namespace sithsd::daemon
