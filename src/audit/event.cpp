// Audit event serialisation and the credential header list.
#include "audit/event.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "ascii.hpp"

namespace dockgate::audit {

bool is_credential_header(std::string_view name) {
  static constexpr std::string_view kNames[] = {"x-registry-auth", "x-registry-config", "authorization",
                                                "proxy-authorization", "x-docker-expose-session-sharedkey"};
  return std::any_of(std::begin(kNames), std::end(kNames),
                     [&](std::string_view known) { return iequals_ascii(name, known); });
}

std::string to_json(const Event& e) {
  nlohmann::json j = {
      {"time", e.time},
      {"identity", {{"cn", e.common_name}, {"serial", e.serial}}},
      {"peer", e.peer},
      {"method", e.method},
      {"path", e.path},
      {"endpoint", e.endpoint},
      {"decision", e.decision},
      {"role", e.role},
      {"rule", e.rule},
      {"status", e.status},
      {"bytes_in", e.bytes_in},
      {"bytes_out", e.bytes_out},
      {"duration_ms", e.duration_ms},
  };
  if (e.tunnel) {
    j["session"] = {{"bytes_in", e.tunnel_bytes_in},
                    {"bytes_out", e.tunnel_bytes_out},
                    {"duration_ms", e.tunnel_duration_ms}};
  }
  if (!e.redacted.empty()) j["redacted"] = e.redacted;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace dockgate::audit
