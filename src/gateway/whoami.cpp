// The whoami answer; see whoami.hpp.
#include "gateway/whoami.hpp"

#include <nlohmann/json.hpp>

namespace dockgate::gateway {

std::string whoami_body(const tls::Identity& identity, const authz::Policy& policy) {
  std::string matched;
  const authz::Role* role = policy.role_for(identity, &matched);
  nlohmann::json body = {
      {"Identity",
       {{"CommonName", identity.common_name},
        {"Serial", identity.serial},
        {"Fingerprint", identity.fingerprint},
        {"Groups", identity.groups},
        {"Peer", identity.peer}}},
      {"Role", role != nullptr ? role->name : ""},
      {"Rule", role == nullptr       ? "no binding matches: every request is denied"
               : policy.is_default() ? policy.source()
                                     : "binding \"" + matched + "\" in " + policy.source()},
      {"Gateway", "dockgate " DOCKGATE_VERSION},
  };
  return body.dump() + "\n";
}

}  // namespace dockgate::gateway
