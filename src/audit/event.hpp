// One audit record per request: who (certificate CN and serial, peer), what (method, canonical path,
// endpoint), the decision and the rule behind it, and what happened (status, bytes, duration; for a
// hijacked session its own duration and bytes). Credentials never enter it: header values are not
// recorded, only the names of the credential headers that were withheld.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dockgate::audit {

struct Event {
  std::string time;  // RFC 3339 with milliseconds, UTC
  std::string common_name, serial, peer;
  std::string method, path, endpoint;
  std::string decision;  // "allow" or "deny"
  std::string role, rule;
  int status = 0;  // the engine's (or the gateway's own) status; 0 if the exchange failed first
  std::uint64_t bytes_in = 0, bytes_out = 0;
  double duration_ms = 0;
  bool tunnel = false;  // a hijacked session (attach, exec, BuildKit): the figures below cover it
  std::uint64_t tunnel_bytes_in = 0, tunnel_bytes_out = 0;
  double tunnel_duration_ms = 0;
  std::vector<std::string> redacted;  // credential headers present in the request, values withheld
};

// The headers whose values are credentials (registry auth, BuildKit session keys, HTTP auth).
bool is_credential_header(std::string_view name);

// The event as one JSON line (no trailing newline).
std::string to_json(const Event& event);

}  // namespace dockgate::audit
