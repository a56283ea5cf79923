// Roles, bindings and the sandbox checklist, decided without a network.
#include "authz/policy.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "authz/bodies/checks.hpp"
#include "error.hpp"

namespace dockgate::authz {
namespace {

tls::Identity who(const std::string& cn, std::vector<std::string> groups = {}) {
  tls::Identity id;
  id.common_name = cn;
  id.groups = std::move(groups);
  id.peer = "test";
  return id;
}

std::shared_ptr<const Policy> policy() {
  return Policy::parse(R"({
    "roles": {"ci": {"extends": "operator", "bind_prefixes": ["/srv/ci"]},
              "viewer": {"rules": [{"deny": ["container.logs"]}, {"allow": ["category:container.data"], "methods": ["GET"]}]},
              "wide": {"rules": [{"allow": ["*"]}]},
              "unsandboxed": {"sandbox": false, "rules": [{"allow": ["unknown"]}]}},
    "bindings": [{"identities": ["root-*"], "role": "admin"},
                 {"identities": ["op"], "role": "operator"},
                 {"identities": ["group:audit"], "role": "read-only"},
                 {"identities": ["ci"], "role": "ci"},
                 {"identities": ["v"], "role": "viewer"},
                 {"identities": ["w"], "role": "wide"},
                 {"identities": ["u"], "role": "unsandboxed"}]})",
                       "test.json");
}

Decision decide(const std::string& cn, std::string_view method, std::string_view target,
                std::optional<std::string> body = std::nullopt, std::vector<std::string> groups = {}) {
  auto p = policy();
  Route r = route(method, target);
  tls::Identity id = who(cn, std::move(groups));
  if (!body && p->judged_body(id, r) != BodyJudged::none) body = "";
  return p->decide(id, method, r, body);
}

TEST(Policy, BindsIdentitiesByNameGlobAndGroup) {
  EXPECT_TRUE(
      decide("root-1", "POST", "/containers/create", R"({"HostConfig":{"Privileged":true}})").allowed);
  EXPECT_TRUE(decide("x", "GET", "/containers/json", {}, {"audit"}).allowed);
  Decision none = decide("stranger", "GET", "/_ping");
  EXPECT_FALSE(none.allowed);
  EXPECT_EQ(none.rule, "no binding");
}

TEST(Policy, EndpointPatternsOfEveryShapeMatchAsGlobsDo) {
  auto p = Policy::parse(R"({
    "roles": {"shapes": {"rules": [{"allow": ["image.*"]}, {"allow": ["container.?tart"]},
                                   {"allow": ["system.ping"]}, {"allow": ["category:volume.read"]}]}},
    "bindings": [{"identities": ["s"], "role": "shapes"}]})",
                         "shapes.json");
  auto allowed = [&](std::string_view method, std::string_view target) {
    return p->decide(who("s"), method, route(method, target), std::string()).allowed;
  };
  EXPECT_TRUE(allowed("GET", "/images/json"));           // prefix
  EXPECT_TRUE(allowed("POST", "/containers/c1/start"));  // glob
  EXPECT_FALSE(allowed("POST", "/containers/c1/stop"));  // glob, not matching
  EXPECT_TRUE(allowed("GET", "/_ping"));                 // name
  EXPECT_FALSE(allowed("GET", "/containers/json"));      // nothing matches
  EXPECT_TRUE(allowed("GET", "/volumes/v1"));            // category
  EXPECT_FALSE(allowed("POST", "/volumes/create"));      // another category
}

TEST(Policy, OperatorRunsContainersInsideTheSandbox) {
  EXPECT_TRUE(decide("op", "POST", "/v1.41/containers/create", R"({"Image":"busybox"})").allowed);
  EXPECT_TRUE(
      decide("op", "POST", "/containers/create", R"({"HostConfig":{"Binds":["data:/data"]}})").allowed);
  for (const char* body :
       {R"({"HostConfig":{"Privileged":true}})", R"({"HostConfig":{"Binds":["/etc:/x"]}})",
        R"({"HostConfig":{"Mounts":[{"Type":"bind","Source":"/","Target":"/h"}]}})",
        R"({"HostConfig":{"CapAdd":["SYS_ADMIN"]}})", R"({"HostConfig":{"Devices":[{}]}})",
        R"({"HostConfig":{"NetworkMode":"host"}})", R"({"HostConfig":{"PidMode":"host"}})",
        R"({"HostConfig":{"IpcMode":"host"}})", R"({"HostConfig":{"UsernsMode":"host"}})",
        R"({"HostConfig":{"SecurityOpt":["apparmor=unconfined"]}})",
        R"({"HostConfig":{"Sysctls":{"kernel.x":"1"}}})", R"({"HostConfig":{"MaskedPaths":[]}})",
        R"({"HostConfig":{"Runtime":"kata"}})", R"({"HostConfig":{"CgroupParent":"/"}})",
        R"({"HostConfig":{"VolumesFrom":["other"]}})", R"({"Privileged":true})",
        R"({"HostConfig":{"Privileged":"true"}})", R"([1])"}) {
    EXPECT_FALSE(decide("op", "POST", "/containers/create", body).allowed) << body;
  }
  EXPECT_TRUE(decide("op", "POST", "/containers/x/exec", R"({"User":"0:0","Cmd":["id"]})").allowed);
  EXPECT_FALSE(decide("op", "POST", "/containers/x/exec", R"({"Privileged":true})").allowed);
  EXPECT_FALSE(decide("op", "POST", "/build?networkmode=host").allowed);
  // A BuildKit session is the client's own files; BuildKit's build API and BuildKit builds are refused.
  EXPECT_TRUE(decide("op", "POST", "/session").allowed);
  EXPECT_FALSE(decide("op", "POST", "/grpc").allowed);
  Decision buildkit = decide("op", "POST", "/v1.41/build?version=2&session=abc");
  EXPECT_FALSE(buildkit.allowed);
  EXPECT_NE(buildkit.reason.find("DOCKER_BUILDKIT=0"), std::string::npos) << buildkit.reason;
  EXPECT_FALSE(decide("op", "POST", "/swarm/init").allowed);
  EXPECT_FALSE(decide("op", "GET", "/no/such/endpoint").allowed);
  EXPECT_FALSE(decide("op", "POST", "/containers/create", std::string(kMaxInspectedBody + 1, ' ')).allowed);
}

TEST(Policy, CustomRolesExtendAndBindTheirPrefixesWhole) {
  EXPECT_TRUE(
      decide("ci", "POST", "/containers/create", R"({"HostConfig":{"Binds":["/srv/ci:/a"]}})").allowed);
  Decision inside =
      decide("ci", "POST", "/containers/create", R"({"HostConfig":{"Binds":["/srv/ci/a:/a"]}})");
  EXPECT_FALSE(inside.allowed);
  EXPECT_NE(inside.reason.find(R"(inside the role's bind prefix "/srv/ci", which is bound whole)"),
            std::string::npos)
      << inside.reason;
  EXPECT_FALSE(
      decide("ci", "POST", "/containers/create", R"({"HostConfig":{"Binds":["/srv/cix:/a"]}})").allowed);
  EXPECT_FALSE(
      decide("ci", "POST", "/containers/create", R"({"HostConfig":{"Binds":["/srv/ci/../../etc:/a"]}})")
          .allowed);
  EXPECT_FALSE(decide("v", "GET", "/containers/x/logs").allowed);  // first matching rule decides
  EXPECT_TRUE(decide("v", "GET", "/containers/x/export").allowed);
}

TEST(Policy, ReadOnlyAndDefaults) {
  EXPECT_TRUE(decide("x", "GET", "/v1.41/containers/json", {}, {"audit"}).allowed);
  EXPECT_FALSE(decide("x", "GET", "/containers/x/archive", {}, {"audit"}).allowed);
  EXPECT_FALSE(decide("x", "GET", "/images/get", {}, {"audit"}).allowed);
  EXPECT_FALSE(decide("x", "POST", "/containers/x/wait", {}, {"audit"}).allowed);
  auto all = Policy::allow_all();
  EXPECT_TRUE(all->decide(who(""), "POST", route("POST", "/swarm/init"), std::nullopt).allowed);
}

TEST(Policy, FileErrorsNameTheField) {
  auto error_of = [](const std::string& text) {
    try {
      Policy::parse(text, "p.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of(R"({"bindings":[{"identities":["a"],"role":"nope"}]})").find("unknown role \"nope\""),
            std::string::npos);
  EXPECT_NE(error_of(R"({"roles":{"r":{"rules":[{"allow":["contianer.*"]}]}},"bindings":[]})")
                .find("matches no endpoint"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"roles":{"admin":{"rules":[]}},"bindings":[]})").find("is built in"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"bindings":[], "extra": 1})").find("unknown key \"extra\""), std::string::npos);
  // A prefix inside another, one role's or two roles': the outer one's containers could swap it for a
  // symlink.
  EXPECT_NE(
      error_of(R"({"roles":{"a":{"extends":"operator","bind_prefixes":["/srv","/srv/ci/"]}},"bindings":[]})")
          .find(R"(bind prefix "/srv/ci/" of role "a" lies inside "/srv" of role "a")"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"roles":{"a":{"extends":"operator","bind_prefixes":["/srv/ci/cache"]},
                                   "b":{"extends":"operator","bind_prefixes":["/srv/ci"]}},"bindings":[]})")
                .find(R"(lies inside "/srv/ci" of role "b")"),
            std::string::npos);
  // Written so that the text compared is the path mounted; not the host's root; nested as this host resolves.
  EXPECT_NE(error_of(R"({"roles":{"a":{"extends":"operator","bind_prefixes":["/srv/ci","/srv//ci/cache"]}},
                         "bindings":[]})")
                .find("no empty, . or .. component"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"roles":{"a":{"extends":"operator","bind_prefixes":["/srv/./ci"]}},"bindings":[]})")
                .find("no empty, . or .. component"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"roles":{"a":{"extends":"operator","bind_prefixes":["/"]}},"bindings":[]})")
                .find("is the host's root"),
            std::string::npos);
  const auto dir =
      std::filesystem::temp_directory_path() / ("dockgate-prefixes-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "real" / "cache");
  std::filesystem::create_directory_symlink(dir / "real", dir / "alias");
  EXPECT_NE(error_of(R"({"roles":{"a":{"extends":"operator","bind_prefixes":[")" + (dir / "real").string() +
                     R"("]},"b":{"extends":"operator","bind_prefixes":[")" +
                     (dir / "alias" / "cache").string() + R"("]}},"bindings":[]})")
                .find("lies inside"),
            std::string::npos);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(error_of(R"({"roles":{"a":{"extends":"operator","bind_prefixes":["/srv/ci"]},
                                   "b":{"extends":"a"},
                                   "admin-ish":{"sandbox":false,"rules":[{"allow":["*"]}],"bind_prefixes":["/"]}},
                         "bindings":[]})"),
            "");
  EXPECT_NE(error_of("{\n  \"bindings\": [,]\n}").find("line 2"), std::string::npos);
}

TEST(Policy, SandboxedRolesSpeakApi124OrLater) {
  EXPECT_FALSE(decide("op", "POST", "/v1.23/containers/x/start").allowed);
  EXPECT_FALSE(decide("op", "GET", "/v1.12/containers/json").allowed);
  EXPECT_TRUE(decide("op", "POST", "/v1.24/containers/x/start").allowed);
  EXPECT_TRUE(decide("op", "POST", "/containers/x/start").allowed);
  EXPECT_TRUE(decide("root-1", "POST", "/v1.23/containers/x/start").allowed);  // admin is not sandboxed
}

TEST(Policy, ASandboxedRoleReachesNoEndpointDockgateDoesNotKnow) {
  // The engine before API 1.24 copied a container's files out through POST /containers/{id}/copy, which no
  // endpoint row describes: a sandboxed role whose rules allow everything still may not reach it.
  for (const char* target :
       {"/v1.23/containers/agent/copy", "/v1.41/containers/agent/copy", "/nothing/here"}) {
    Decision d = decide("w", "POST", target, R"({"Resource":"/host/secret"})");
    EXPECT_FALSE(d.allowed) << target;
    EXPECT_EQ(d.rule, "role wide: container sandbox") << target;
    EXPECT_NE(d.reason.find("one dockgate does not know"), std::string::npos) << d.reason;
  }
  EXPECT_TRUE(decide("w", "POST", "/containers/x/start").allowed);
  EXPECT_TRUE(
      decide("u", "POST", "/v1.23/containers/agent/copy").allowed);  // outside the sandbox: its rules decide
  EXPECT_FALSE(
      decide("op", "POST", "/containers/agent/copy").allowed);  // operator: denied by its rules first
}

TEST(Policy, FormBodiesAreRefusedToEveryone) {
  auto p = policy();
  for (const char* type :
       {"application/x-www-form-urlencoded", "Application/X-WWW-Form-URLEncoded ; charset=x",
        "multipart/form-data; boundary=x"}) {
    Decision d = p->decide(who("root-1"), "POST", route("POST", "/build"), std::nullopt, type);
    EXPECT_FALSE(d.allowed) << type;
    EXPECT_EQ(d.rule, "form body");
  }
  EXPECT_TRUE(
      p->decide(who("root-1"), "POST", route("POST", "/build"), std::nullopt, "application/x-tar").allowed);
}

TEST(Policy, AContentTypeOutsideAsciiIsRefusedToEveryone) {
  // Go's media-type parser trims Unicode spaces and lowers by Unicode's rules: to the engine these are forms.
  auto p = policy();
  for (const char* type : {"\xc2\xa0"
                           "application/x-www-form-urlencoded",
                           "appl\xc4\xb0"
                           "cation/x-www-form-urlencoded",
                           "multipart/form-data\xe2\x80\x80; boundary=b", "application/json\x7f"}) {
    Decision d = p->decide(who("root-1"), "POST", route("POST", "/build"), std::nullopt, type);
    EXPECT_FALSE(d.allowed) << type;
    EXPECT_EQ(d.rule, "content type");
  }
  EXPECT_TRUE(p->decide(who("root-1"), "POST", route("POST", "/build"), std::nullopt,
                        "application/json;\tcharset=utf-8")
                  .allowed);
}

TEST(Policy, OutboundRequestsHaveACategoryOfTheirOwn) {
  for (const char* target :
       {"/images/search?term=x", "/distribution/busybox/json", "/plugins/privileges?remote=x", "/swarm"}) {
    EXPECT_FALSE(decide("x", "GET", target, {}, {"audit"}).allowed) << target;
  }
  EXPECT_EQ(route("POST", "/build?remote=http://x/").endpoint->category, Category::outbound);
  EXPECT_EQ(route("POST", "/build?remote=client-session").endpoint->category, Category::image_write);
  EXPECT_EQ(route("POST", "/images/create?fromImage=busybox").endpoint->category, Category::outbound);
  EXPECT_EQ(std::string(route("POST", "/images/create?fromSrc=-").endpoint->name), "image.import");
  EXPECT_EQ(route("POST", "/images/create?fromSrc=http://x/").endpoint->category, Category::outbound);
}

TEST(Policy, BuildQueriesAreJudgedKeyByKey) {
  EXPECT_TRUE(decide("op", "POST", "/build?t=a&t=b&rm=1&networkmode=default&version=1").allowed);
  EXPECT_FALSE(decide("op", "POST", "/build?networkmode=host").allowed);
  EXPECT_FALSE(decide("op", "POST", "/build?networkmode=%zz&networkmode=host").allowed);
  EXPECT_FALSE(decide("op", "POST", "/build?networkmode=bridge&networkmode=host").allowed);
  EXPECT_FALSE(decide("op", "POST", "/build?cgroupparent=/").allowed);
  EXPECT_FALSE(decide("op", "POST", "/build?securityopt=seccomp%3Dunconfined").allowed);
  EXPECT_FALSE(decide("op", "POST", "/build?version=2").allowed);
  EXPECT_FALSE(decide("op", "POST", "/build?newparam=1").allowed);
  EXPECT_FALSE(decide("op", "POST", "/services/x/update?rollback=previous", "{}").allowed);
}

TEST(Sandbox, BindPrefixesAreBoundWhole) {
  // A path inside a prefix could be a symlink that a container wrote through a bind of the prefix.
  using bodies::checks::bind_allowed;
  using bodies::checks::prefix_containing;
  EXPECT_TRUE(bind_allowed("/srv/ci", {"/srv/ci/"}));
  EXPECT_TRUE(bind_allowed("/srv/ci/", {"/srv/ci"}));
  EXPECT_TRUE(bind_allowed("/", {"/"}));
  EXPECT_FALSE(bind_allowed("/srv/ci/x", {"/srv/ci"}));
  EXPECT_FALSE(bind_allowed("/etc", {"/"}));
  EXPECT_FALSE(bind_allowed("/srv/cix", {"/srv/ci"}));
  EXPECT_FALSE(bind_allowed("/srv/ci/.", {"/srv/ci"}));
  EXPECT_FALSE(bind_allowed("relative", {"/"}));
  EXPECT_FALSE(bind_allowed("/srv/ci", {""}));
  EXPECT_EQ(prefix_containing("/srv/ci/x/y", {"/srv/other", "/srv/ci/"}), "/srv/ci");
  EXPECT_EQ(prefix_containing("/etc", {"/"}), "/");
  EXPECT_EQ(prefix_containing("/srv/ci", {"/srv/ci"}), std::nullopt);
  EXPECT_EQ(prefix_containing("/srv/cix", {"/srv/ci"}), std::nullopt);
}

}  // namespace
}  // namespace dockgate::authz

namespace dockgate::authz {
namespace {

TEST(Policy, SandboxedRequestsNameWhatTheEngineMustBeAskedAbout) {
  using Kind = EngineObject::Kind;
  Decision exec = decide("op", "POST", "/v1.41/containers/agent/exec", R"({"Cmd":["sh"]})");
  ASSERT_TRUE(exec.allowed) << exec.reason;
  EXPECT_EQ(exec.to_inspect, (std::vector<EngineObject>{{Kind::container, "agent"}}));
  Decision create = decide("op", "POST", "/v1.41/containers/create",
                           R"({"Image":"busybox","HostConfig":{"Binds":["data:/d","/tmp-anon"],)"
                           R"("Mounts":[{"Type":"volume","Source":"cache","Target":"/c"}]}})");
  ASSERT_TRUE(create.allowed) << create.reason;
  EXPECT_EQ(create.to_inspect, (std::vector<EngineObject>{{Kind::volume, "data"}, {Kind::volume, "cache"}}));
  // Roles without the sandbox, and endpoints that hand nothing over, ask nothing.
  EXPECT_TRUE(
      decide("root-1", "POST", "/v1.41/containers/agent/exec", R"({"Cmd":["sh"]})").to_inspect.empty());
  EXPECT_TRUE(decide("op", "POST", "/v1.41/containers/agent/stop").to_inspect.empty());
}

TEST(Policy, AnInspectedObjectThatEscapesDeniesTheRequestByName) {
  auto p = policy();
  tls::Identity op = who("op");
  Route r = route("POST", "/v1.41/exec/e1/start");
  Decision d = p->decide(op, "POST", r, std::string("{}"));
  ASSERT_TRUE(d.allowed) << d.reason;
  ASSERT_EQ(d.to_inspect.size(), 1u);
  const std::string exec_id(64, 'e'), container_id(64, 'c');
  p->judge_inspected(d, op, "POST", r, d.to_inspect[0], 200,
                     R"({"ID":")" + exec_id + R"(","ProcessConfig":{"privileged":false},"ContainerID":")" +
                         container_id + R"("})");
  ASSERT_TRUE(d.allowed);
  EXPECT_EQ(d.acted_on_id, exec_id);   // forwarded as /exec/<full ID>/start
  ASSERT_EQ(d.to_inspect.size(), 2u);  // the exec's container is next
  p->judge_inspected(d, op, "POST", r, d.to_inspect[1], 200,
                     R"({"Id":")" + container_id + R"(","HostConfig":{"Privileged":true}})");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.rule, "role operator: container sandbox");
  EXPECT_EQ(
      d.reason,
      "CN=op (role operator) may not POST /exec/e1/start (exec.start): container \"" + container_id +
          "\" HostConfig.Privileged is set: it gives the container every capability and every host device");
  EXPECT_TRUE(d.to_inspect.empty());
}

TEST(Policy, AMissingObjectActedOnIsTheEnginesNotFound) {
  auto p = policy();
  tls::Identity op = who("op");
  Route r = route("POST", "/v1.41/containers/gone/exec");
  Decision d = p->decide(op, "POST", r, std::string(R"({"Cmd":["true"]})"));
  ASSERT_TRUE(d.allowed) << d.reason;
  p->judge_inspected(d, op, "POST", r, d.to_inspect[0], 404, R"({"message":"No such container: gone"})");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.status, 404);
  EXPECT_NE(d.reason.find("container \"gone\" does not exist at the engine"), std::string::npos) << d.reason;
}

}  // namespace
}  // namespace dockgate::authz

namespace dockgate::authz {
namespace {

TEST(Policy, AnArchiveUploadIsJudgedByItsFirstBytes) {
  auto p = policy();
  tls::Identity op = who("op");
  Route r = route("PUT", "/v1.41/containers/c1/archive?path=/tmp");
  EXPECT_EQ(p->judged_body(op, r), BodyJudged::start);
  EXPECT_EQ(p->judged_body(who("root-1"), r), BodyJudged::none);
  Decision gz = p->decide(op, "PUT", r, std::string("\x1f\x8b\x08\x00\x00\x00", 6), "application/x-tar");
  EXPECT_FALSE(gz.allowed);
  EXPECT_NE(gz.reason.find("gzip-compressed"), std::string::npos) << gz.reason;
  Decision tar = p->decide(op, "PUT", r, std::string("tmp/\0\0", 6), "application/x-tar");
  EXPECT_TRUE(tar.allowed) << tar.reason;
  // The container, then the engine's version (docker cp's mounts, CVE-2026-42306).
  EXPECT_EQ(tar.to_inspect, (std::vector<EngineObject>{{EngineObject::Kind::container, "c1"},
                                                       {EngineObject::Kind::engine, ""}}));
}

}  // namespace
}  // namespace dockgate::authz

namespace dockgate::authz {
namespace {

TEST(Policy, NoContainerMayBeNamedLikeAFullId) {
  const std::string id(64, 'a');
  for (const char* who_ : {"root-1", "op"}) {
    for (std::string target : {"/v1.41/containers/create?name=" + id, "/containers/create?name=%2F" + id,
                               "/v1.41/containers/web/rename?name=" + id}) {
      Decision d = decide(who_, "POST", target, std::string(R"({"Image":"busybox"})"));
      EXPECT_FALSE(d.allowed) << who_ << " " << target;
      EXPECT_EQ(d.rule, "container name");
      EXPECT_NE(d.reason.find("has the form of a container ID"), std::string::npos) << d.reason;
    }
  }
  EXPECT_TRUE(decide("op", "POST", "/containers/create?name=" + id.substr(1), std::string("{}")).allowed);
  EXPECT_TRUE(decide("op", "POST", "/containers/web/rename?name=" + std::string(64, 'g')).allowed);
}

}  // namespace
}  // namespace dockgate::authz
