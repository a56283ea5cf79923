// The policy file parser on arbitrary text: it accepts a policy or throws Error naming what is wrong, and an
// accepted policy decides requests without failing.
#include <cstdint>
#include <string>

#include "authz/policy.hpp"
#include "error.hpp"

using namespace dockgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::shared_ptr<const authz::Policy> policy;
  try {
    policy = authz::Policy::parse(text, "fuzz.json");
  } catch (const Error&) {
    return 0;
  }
  tls::Identity id;
  id.common_name = "alice";
  id.groups = {"ops"};
  id.peer = "fuzz";
  for (auto [method, target] : {std::pair{"POST", "/v1.41/containers/create"}, std::pair{"GET", "/_ping"},
                                std::pair{"POST", "/v1.41/containers/x/exec"}}) {
    authz::Route route = authz::route(method, target);
    std::optional<std::string> body;
    if (policy->judged_body(id, route) != authz::BodyJudged::none) body = R"({"Image":"busybox"})";
    (void)policy->decide(id, method, route, body, "application/json");
  }
  return 0;
}
