// The running gateway: adopts the listening sockets, accepts connections, puts TLS under the ones that
// need it, hands each to an HTTP session, and shuts down gracefully on SIGTERM or SIGINT. One thread runs
// everything; nothing here is shared between threads.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "audit/sink.hpp"
#include "authz/policy.hpp"
#include "http/session.hpp"
#include "net/listeners.hpp"
#include "tls/context.hpp"

namespace dockgate::gateway {

// A configuration generation, what a reload produces: the TLS context and policy for connections and
// requests from now on.
struct Generation {
  tls::Context tls;
  std::shared_ptr<const authz::Policy> policy;
  std::string described;  // the files it came from, for the log
};

struct Options {
  std::vector<net::Listener> listeners;
  tls::Context tls;  // null: every listener is plain (--tls=false)
  std::shared_ptr<const authz::Policy> policy;
  std::unique_ptr<audit::Sink> audit;  // null: no audit log
  http::Upstream upstream;
  http::SessionLimits limits;
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds shutdown_timeout{10};  // for requests in flight after SIGTERM
  // Rebuilds TLS context and policy from the files (throws Error when one fails to load); called on SIGHUP
  // and when one of `watched` changes. Established connections keep what they have.
  std::function<Generation()> reload;
  std::vector<std::string> watched;
  std::chrono::milliseconds watch_interval{2000};
};

// Serves until a shutdown signal, then stops accepting, lets exchanges in flight finish for up to
// shutdown_timeout, and returns. Tells systemd READY=1 once every listener accepts, STOPPING=1 at the end.
// SIGHUP or a change of a watched file reloads; a reload that fails leaves everything as it was.
void run(Options options);

}  // namespace dockgate::gateway
