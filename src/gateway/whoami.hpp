// GET /_dockgate/whoami: who the gateway takes the client for. The answer is the gateway's (its policy, its
// view of the certificate); the session only frames it as HTTP. No Asio.
#pragma once

#include <string>

#include "authz/policy.hpp"
#include "tls/identity.hpp"

namespace dockgate::gateway {

// The JSON body (one line, newline-terminated): the certificate's names, the role and the binding (or the
// absence of a policy) that gave it, so that a person can see why a request was allowed or denied.
std::string whoami_body(const tls::Identity& identity, const authz::Policy& policy);

}  // namespace dockgate::gateway
