#include "gateway/whoami.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace dockgate::gateway {
namespace {

tls::Identity named(const std::string& cn, std::vector<std::string> groups = {}) {
  tls::Identity id;
  id.common_name = cn;
  id.serial = "0A1B";
  id.groups = std::move(groups);
  id.peer = "127.0.0.1:5000";
  return id;
}

nlohmann::json answer(const tls::Identity& id, const authz::Policy& policy) {
  std::string body = whoami_body(id, policy);
  EXPECT_TRUE(body.ends_with("\n"));
  return nlohmann::json::parse(body);
}

TEST(Whoami, SaysTheRoleAndTheBindingThatGaveIt) {
  auto policy = authz::Policy::parse(
      R"({"bindings": [{"identities": ["group:ci"], "role": "operator"}, {"identities": ["alice"], "role": "admin"}]})",
      "/etc/dockgate/policy.json");
  nlohmann::json ci = answer(named("runner-7", {"ci"}), *policy);
  EXPECT_EQ(ci["Role"], "operator");
  EXPECT_EQ(ci["Rule"], "binding \"group:ci\" in /etc/dockgate/policy.json");
  EXPECT_EQ(ci["Identity"]["CommonName"], "runner-7");
  EXPECT_EQ(ci["Identity"]["Groups"], nlohmann::json::array({"ci"}));
  EXPECT_EQ(ci["Identity"]["Serial"], "0A1B");
  EXPECT_EQ(ci["Identity"]["Peer"], "127.0.0.1:5000");
  EXPECT_EQ(answer(named("alice"), *policy)["Role"], "admin");
}

TEST(Whoami, SaysWhenNothingBindsTheClientOrNoPolicyIsLoaded) {
  auto policy =
      authz::Policy::parse(R"({"bindings": [{"identities": ["alice"], "role": "admin"}]})", "p.json");
  nlohmann::json nobody = answer(named("mallory"), *policy);
  EXPECT_EQ(nobody["Role"], "");
  EXPECT_EQ(nobody["Rule"], "no binding matches: every request is denied");
  nlohmann::json all = answer(named("mallory"), *authz::Policy::allow_all());
  EXPECT_EQ(all["Role"], "admin");
  EXPECT_EQ(all["Rule"], authz::Policy::allow_all()->source());
}

}  // namespace
}  // namespace dockgate::gateway
