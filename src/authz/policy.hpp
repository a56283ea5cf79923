// Who may do what: a policy maps identities to roles, and a role's rules to allowed endpoints. The
// Decision is the only thing the HTTP session sees. Without a policy file every verified client is admin
// (what dockerd does), and the gateway says so when it starts.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authz/endpoints.hpp"
#include "authz/targets.hpp"
#include "tls/identity.hpp"

namespace dockgate::authz {

struct Decision {
  bool allowed = false;
  std::string role;  // the identity's role, "" when no binding matched
  std::string
      rule;  // what decided: "role operator allows container.*", "sandbox: HostConfig.Privileged is true"
  std::string reason;  // for a denial: one sentence for the client
  int status = 403;    // for a denial: the status it is answered with (404: the object acted on is missing)
  // An allowed request of a sandboxed role that acts on or mounts these objects holds only if each of them,
  // as the engine holds it now, passes Policy::judge_inspected (which may add more).
  std::vector<EngineObject> to_inspect;
  // The full ID of the container or exec the request acts on, once inspected: the request is forwarded
  // naming it (target_naming), so that the object judged is the object used.
  std::string acted_on_id;
};

// One of a rule's endpoint patterns, classified by its shape when the policy is loaded, so that a decision
// does not look for glob characters every time.
struct EndpointPattern {
  enum class Shape : std::uint8_t { name, prefix, category, glob };
  Shape shape = Shape::glob;
  std::string text;  // the glob (a name, or a prefix with its final '*'), or the category's name
};

struct Rule {
  bool allow = true;
  std::vector<std::string> endpoints;     // endpoint-name globs ("container.*", "*") or "category:NAME"
  std::vector<std::string> methods;       // empty: any
  std::string text;                       // how messages quote it
  std::vector<EndpointPattern> patterns;  // `endpoints`, classified: what decisions match
};

struct Role {
  std::string name;
  std::vector<Rule> rules;  // the first that matches decides; none matching denies
  bool sandbox = true;      // apply the escape checklist to request bodies
  std::vector<std::string> bind_prefixes;
};

struct Binding {
  std::vector<std::string>
      identities;  // "alice", "ci-*" (CN globs), "group:ops", "serial:HEX", "local", "any"
  std::string role;
};

class Policy {
 public:
  // The policy in force without a file: every verified client (and every unix-socket client) is admin.
  static std::shared_ptr<const Policy> allow_all();
  // Parses a policy file (JSON). Throws Error naming the file and the field at fault.
  static std::shared_ptr<const Policy> parse(const std::string& text, const std::string& path);

  // The role of an identity and the binding pattern that chose it; nullptr when none matches.
  const Role* role_for(const tls::Identity& identity, std::string* matched = nullptr) const;

  // What of the request body must be read before deciding: the endpoint's BodyJudged when the role
  // sandboxes, none otherwise.
  BodyJudged judged_body(const tls::Identity& identity, const Route& route) const;

  // Decides a request. `body` is what judged_body() asked for: the whole request body (nullopt when it
  // could not be read whole within kMaxInspectedBody, which is a denial), or its first kJudgedBodyStart
  // bytes (all of a shorter body). `body_type` is the Content-Type of
  // a request that has a body, "" for one without.
  Decision decide(const tls::Identity& identity, std::string_view method, const Route& route,
                  const std::optional<std::string>& body, std::string_view body_type = {}) const;

  // Judges the engine's answer (`status`, `body`) about `object`, one of `decision.to_inspect`, for the
  // request decide() allowed: a denial turns `decision` into one; what the object depends on is appended to
  // `decision.to_inspect`.
  void judge_inspected(Decision& decision, const tls::Identity& identity, std::string_view method,
                       const Route& route, const EngineObject& object, int status,
                       std::string_view body) const;

  bool is_default() const { return default_; }
  // No binding at all: every client is denied everything (allowed, and worth a warning).
  bool binds_nobody() const { return bindings_.empty(); }
  const std::string& source() const { return source_; }

 private:
  std::vector<Role> roles_;
  std::vector<Binding> bindings_;
  bool default_ = false;
  std::string source_;
};

// The built-in roles: admin, operator, read-only, monitor.
const std::vector<Role>& builtin_roles();

// The oldest Docker API version a sandboxed role may use: before 1.24 a container's start took a
// HostConfig in its body.
constexpr std::string_view kMinSandboxedApi = "1.24";

// For an endpoint whose body's start is judged: the bytes read, the length of the longest compression
// magic number the engine detects (xz's).
constexpr std::size_t kJudgedBodyStart = 6;

// Bodies larger than this on an inspected endpoint are denied (4 MiB).
constexpr std::size_t kMaxInspectedBody = std::size_t{4} << 20;

}  // namespace dockgate::authz
