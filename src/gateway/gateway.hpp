// The running gateway: adopts the listening sockets, accepts connections, puts TLS under the ones that
// need it, hands each to an HTTP session, and shuts down gracefully on SIGTERM or SIGINT. One thread runs
// everything; nothing here is shared between threads.
#pragma once

#include <chrono>
#include <vector>

#include "authz/policy.hpp"
#include "http/session.hpp"
#include "net/listeners.hpp"
#include "tls/context.hpp"

namespace dockgate::gateway {

struct Options {
  std::vector<net::Listener> listeners;
  tls::Context tls;  // null: every listener is plain (--tls=false)
  std::shared_ptr<const authz::Policy> policy;
  http::Engine engine;
  http::SessionLimits limits;
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds shutdown_timeout{10};  // for requests in flight after SIGTERM
};

// Serves until a shutdown signal, then stops accepting, lets exchanges in flight finish for up to
// shutdown_timeout, and returns. Tells systemd READY=1 once every listener accepts, STOPPING=1 at the end.
void run(Options options);

}  // namespace dockgate::gateway
