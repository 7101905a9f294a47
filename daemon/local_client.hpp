// The local client moved to client/ (issue 24). This forward keeps its users building until they
// include client/local_client.hpp themselves; it goes with the last of them.
#pragma once

#include "client/local_client.hpp"

namespace sithsd::daemon {
using client::LocalAnswer;
using client::LocalClient;
using client::LocalClientError;
using client::LocalClientFailure;
using client::LocalClientOptions;
using client::LocalNotification;
using client::RpcError;
}  // namespace sithsd::daemon
