// Roles, bindings and decisions. Denials say who, which role, and the rule or field that decided, so that
// the docker CLI's "Error response from daemon: ..." tells the person what to ask for.
#include "authz/policy.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ascii.hpp"
#include "authz/bodies/checks.hpp"
#include "authz/bodies/judge.hpp"
#include "config/json_file.hpp"
#include "error.hpp"

namespace dockgate::authz {
namespace {

[[noreturn]] void fail(std::initializer_list<std::string_view> parts) {
  std::string message;
  for (auto p : parts) message += p;
  throw Error(message);
}

// A glob's shape, by where its first special character is: nowhere (a plain name), only as a final '*' (a
// prefix such as "ci-*" or "container.*", or "*"), or elsewhere.
EndpointPattern::Shape glob_shape(std::string_view pattern) {
  size_t meta = pattern.find_first_of("*?[\\");
  if (meta == std::string_view::npos) return EndpointPattern::Shape::name;
  if (meta == pattern.size() - 1 && pattern.back() == '*') return EndpointPattern::Shape::prefix;
  return EndpointPattern::Shape::glob;
}

// fnmatch(3) without flags, with the shapes policies mostly use answered without it.
bool glob_matches(EndpointPattern::Shape shape, const std::string& pattern, std::string_view text) {
  switch (shape) {
    case EndpointPattern::Shape::name:
      return text == pattern;
    case EndpointPattern::Shape::prefix:
      return text.starts_with(std::string_view(pattern).substr(0, pattern.size() - 1));
    default:
      return ::fnmatch(pattern.c_str(), std::string(text).c_str(), 0) == 0;
  }
}

bool glob(const std::string& pattern, std::string_view text) {
  return glob_matches(glob_shape(pattern), pattern, text);
}

Rule allow(std::vector<std::string> endpoints, std::vector<std::string> methods = {}) {
  return Rule{true, std::move(endpoints), std::move(methods), "", {}};
}

Rule deny(std::vector<std::string> endpoints) {
  return Rule{false, std::move(endpoints), {}, "", {}};
}

EndpointPattern shape_of(const std::string& pattern) {
  if (pattern.rfind("category:", 0) == 0) return {EndpointPattern::Shape::category, pattern.substr(9)};
  return {glob_shape(pattern), pattern};
}

std::string rule_text(const Rule& r) {
  std::string text = r.allow ? "allow " : "deny ";
  for (size_t i = 0; i < r.endpoints.size(); ++i) text += (i ? "," : "") + r.endpoints[i];
  if (!r.methods.empty()) {
    text += " for ";
    for (size_t i = 0; i < r.methods.size(); ++i) text += (i ? "," : "") + r.methods[i];
  }
  return text;
}

// A rule as decisions use it: its text for messages, its patterns classified by shape.
void prepare_for_decisions(Rule& r) {
  r.text = rule_text(r);
  r.patterns.clear();
  for (const auto& e : r.endpoints) r.patterns.push_back(shape_of(e));
}

std::vector<Role> make_builtins() {
  std::vector<Role> roles;
  roles.push_back(Role{"admin", {allow({"*"})}, false, {}});
  roles.push_back(
      Role{"operator",
           {allow({"service.create", "service.update", "service.remove"}),
            deny({"unknown", "category:swarm.write", "category:secret.read", "category:secret.write",
                  "category:config.read", "category:config.write", "category:plugin.write", "build.grpc"}),
            allow({"*"})},
           true,
           {}});
  roles.push_back(Role{
      "read-only",
      {allow({"category:ping", "category:system.read", "category:container.list", "category:container.read",
              "category:image.list", "category:image.read", "category:network.read", "category:volume.read",
              "category:swarm.read", "category:plugin.read", "category:gateway"},
             {"GET", "HEAD"})},
      true,
      {}});
  roles.push_back(Role{"monitor",
                       {allow({"system.ping", "system.version", "system.info", "system.events",
                               "container.list", "image.list", "container.stats", "dockgate.whoami"},
                              {"GET", "HEAD"})},
                       true,
                       {}});
  for (auto& role : roles) {
    for (auto& rule : role.rules) prepare_for_decisions(rule);
  }
  return roles;
}

// `name` is the route's endpoint name ("unknown" without one), `category` its category's ("" without one).
bool pattern_matches(const EndpointPattern& pattern, std::string_view name, std::string_view category) {
  if (pattern.shape == EndpointPattern::Shape::category) return !category.empty() && category == pattern.text;
  return glob_matches(pattern.shape, pattern.text, name);
}

bool method_matches(const std::vector<std::string>& methods, std::string_view method) {
  if (methods.empty()) return true;
  return std::any_of(methods.begin(), methods.end(),
                     [&](const std::string& m) { return m == method || (method == "HEAD" && m == "GET"); });
}

// A pattern that names nothing is a typo: say so when the policy is loaded, not when a request is denied.
void check_pattern(const std::string& pattern, const std::string& where) {
  if (pattern == "*" || pattern == "unknown") return;
  const EndpointPattern shaped = shape_of(pattern);
  for (const auto& e : endpoints()) {
    if (pattern_matches(shaped, e.name, category_name(e.category))) return;
  }
  throw Error(where + ": \"" + pattern +
              "\" matches no endpoint (names look like container.create or container.*; "
              "categories like category:container.read)");
}

std::vector<std::string> string_list(const nlohmann::json& j, const std::string& where) {
  if (!j.is_array() ||
      !std::all_of(j.begin(), j.end(), [](const nlohmann::json& e) { return e.is_string(); })) {
    throw Error(where + " must be an array of strings");
  }
  return j.get<std::vector<std::string>>();
}

void only_keys(const nlohmann::json& obj, std::initializer_list<const char*> keys, const std::string& where) {
  if (!obj.is_object()) throw Error(where + " must be an object");
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::none_of(keys.begin(), keys.end(), [&](const char* k) { return it.key() == k; })) {
      std::string known;
      for (const char* k : keys) known += (known.empty() ? "" : ", ") + std::string(k);
      fail({where, ": unknown key \"", it.key(), "\" (known: ", known, ")"});
    }
  }
}

bool identity_matches(const std::string& pattern, const tls::Identity& id) {
  if (pattern == "any") return true;
  if (pattern == "local") return id.local;
  if (pattern.rfind("group:", 0) == 0) {
    std::string g = pattern.substr(6);
    return std::any_of(id.groups.begin(), id.groups.end(), [&](const std::string& x) { return glob(g, x); });
  }
  if (pattern.rfind("serial:", 0) == 0) {
    std::string want = ascii_uppercase(pattern.substr(7)), have = id.serial;
    want.erase(std::remove(want.begin(), want.end(), ':'), want.end());
    return !have.empty() && want == have;
  }
  return !id.common_name.empty() && glob(pattern, id.common_name);
}

}  // namespace

const std::vector<Role>& builtin_roles() {
  static const std::vector<Role> roles = make_builtins();
  return roles;
}

std::shared_ptr<const Policy> Policy::allow_all() {
  auto p = std::make_shared<Policy>();
  p->roles_ = builtin_roles();
  p->bindings_.push_back(Binding{{"any"}, "admin"});
  p->default_ = true;
  p->source_ = "no policy file: every verified client is admin";
  return p;
}

namespace {

// One rule of a role: "allow" or "deny" (exactly one) with its endpoint patterns, and "methods".
Rule parse_rule(const nlohmann::json& json, const std::string& where) {
  only_keys(json, {"allow", "deny", "methods"}, where);
  if (json.contains("allow") == json.contains("deny")) {
    throw Error(where + ": give exactly one of \"allow\" or \"deny\"");
  }
  Rule r;
  r.allow = json.contains("allow");
  r.endpoints = string_list(json[r.allow ? "allow" : "deny"], where);
  for (const auto& e : r.endpoints) check_pattern(e, where);
  if (json.contains("methods")) {
    r.methods = string_list(json["methods"], where + " \"methods\"");
    for (const auto& m : r.methods) {
      static const std::vector<std::string> known = {"GET", "HEAD", "POST", "PUT", "DELETE"};
      if (std::find(known.begin(), known.end(), m) == known.end()) {
        fail({where, ": unknown method \"", m, "\" (GET, HEAD, POST, PUT, DELETE)"});
      }
    }
  }
  prepare_for_decisions(r);
  return r;
}

// A path as a bind prefix must be written: absolute, with no empty, . or .. component (a trailing slash
// aside), so that the text the sandbox compares is the path the engine mounts.
bool clean_absolute(std::string_view path) {
  return bodies::checks::plain_absolute(path) &&
         bodies::checks::without_trailing_slashes(path).find("//") == std::string_view::npos;
}

// A role of the file: its own rules, then what it extends (roles defined before it, built-in or not),
// then its own "sandbox" and "bind_prefixes" over the base's.
Role parse_role(const std::string& name, const nlohmann::json& json, const std::vector<Role>& known,
                const std::string& where) {
  auto find = [&](const std::string& n) -> const Role* {
    auto it = std::find_if(known.begin(), known.end(), [&](const Role& r) { return r.name == n; });
    return it == known.end() ? nullptr : &*it;
  };
  if (find(name) != nullptr) throw Error(where + " is built in; choose another name (or use \"extends\")");
  only_keys(json, {"rules", "extends", "sandbox", "bind_prefixes"}, where);
  Role role{name, {}, true, {}};
  if (json.contains("rules")) {
    const auto& rules = json["rules"];
    if (!rules.is_array()) throw Error(where + ": \"rules\" must be an array");
    for (size_t i = 0; i < rules.size(); ++i) {
      role.rules.push_back(parse_rule(rules[i], where + " rule " + std::to_string(i + 1)));
    }
  }
  if (json.contains("extends")) {
    if (!json["extends"].is_string()) throw Error(where + ": \"extends\" must be a role name");
    std::string base_name = json["extends"].get<std::string>();
    const Role* base = find(base_name);
    if (base == nullptr) fail({where, ": extends unknown role \"", base_name, "\" (define it first)"});
    role.rules.insert(role.rules.end(), base->rules.begin(), base->rules.end());
    role.sandbox = base->sandbox;
    role.bind_prefixes = base->bind_prefixes;
  }
  if (json.contains("sandbox")) {
    if (!json["sandbox"].is_boolean()) throw Error(where + ": \"sandbox\" must be true or false");
    role.sandbox = json["sandbox"].get<bool>();
  }
  if (json.contains("bind_prefixes")) {
    role.bind_prefixes = string_list(json["bind_prefixes"], where + " \"bind_prefixes\"");
    for (const auto& b : role.bind_prefixes) {
      if (!clean_absolute(b)) {
        fail({where, ": bind prefix \"", b,
              "\" must be an absolute path with no empty, . or .. component (as /srv/ci/cache)"});
      }
    }
  }
  if (role.rules.empty()) throw Error(where + " has no rules (give \"rules\" or \"extends\")");
  return role;
}

// A binding: identity patterns and the name of a role that exists.
Binding parse_binding(const nlohmann::json& json, const std::vector<Role>& roles, const std::string& where) {
  only_keys(json, {"identities", "role"}, where);
  if (!json.contains("role") || !json["role"].is_string()) throw Error(where + ": \"role\" is missing");
  Binding b{string_list(json.value("identities", nlohmann::json::array()), where + " \"identities\""),
            json["role"].get<std::string>()};
  if (b.identities.empty()) throw Error(where + ": \"identities\" is empty");
  if (std::none_of(roles.begin(), roles.end(), [&](const Role& r) { return r.name == b.role; })) {
    throw Error(where + ": unknown role \"" + b.role + "\"");
  }
  return b;
}

// Bind prefixes are bound whole, so none may lie inside another, a sandboxed role's own or another's: a
// container given the outer one could replace the inner one with a symlink to anywhere on the host. Compared
// as written and as this host resolves them now (/var/run is /run), and none is the host's root.
void check_prefixes_apart(const std::vector<Role>& roles, const std::string& where) {
  // Each role's prefixes as this host resolves them, once.
  std::vector<std::vector<std::string>> resolved;
  for (const auto& role : roles) {
    auto& out = resolved.emplace_back();
    for (const auto& p : role.bind_prefixes) {
      std::error_code ec;
      std::filesystem::path r = std::filesystem::weakly_canonical(p, ec);
      out.push_back(ec ? p : r.string());
    }
  }
  for (std::size_t i = 0; i < roles.size(); ++i) {
    const Role& inner = roles[i];
    if (!inner.sandbox) continue;
    for (std::size_t k = 0; k < inner.bind_prefixes.size(); ++k) {
      const std::string& prefix = inner.bind_prefixes[k];
      const std::string& real = resolved[i][k];
      if (real == "/" || bodies::checks::without_trailing_slashes(prefix) == "/") {
        static constexpr std::string_view kRoot =
            "\" is the host's root, which no sandboxed role may bind (a role trusted with the host needs no "
            "sandbox: \"sandbox\": false)";
        fail({where, ": bind prefix \"", prefix, "\" of role \"", inner.name, kRoot});
      }
      for (std::size_t j = 0; j < roles.size(); ++j) {
        const Role& outer = roles[j];
        if (!outer.sandbox) continue;
        auto around = bodies::checks::prefix_containing(prefix, outer.bind_prefixes);
        if (!around) around = bodies::checks::prefix_containing(real, resolved[j]);
        if (around) {
          static constexpr std::string_view kWhy =
              "\" could replace it with a symlink to anywhere on the host (name directories that do not "
              "contain "
              "one another)";
          fail({where, ": bind prefix \"", prefix, "\" of role \"", inner.name, "\" lies inside \"", *around,
                "\" of role \"", outer.name, "\": a container given \"", *around, kWhy});
        }
      }
    }
  }
}

}  // namespace

// The file: the built-in roles, then its "roles" in order (each may extend those before it), then its
// "bindings", each naming a role that exists.
std::shared_ptr<const Policy> Policy::parse(const std::string& text, const std::string& path) {
  std::string where = "policy " + path;
  nlohmann::json doc = config::parse_json_text(text, where + ": ");
  only_keys(doc, {"roles", "bindings"}, where);
  auto p = std::make_shared<Policy>();
  p->roles_ = builtin_roles();
  p->source_ = path;
  if (doc.contains("roles")) {
    if (!doc["roles"].is_object()) throw Error(where + ": \"roles\" must be an object of role names");
    for (auto it = doc["roles"].begin(); it != doc["roles"].end(); ++it) {
      p->roles_.push_back(parse_role(it.key(), *it, p->roles_, where + ": role \"" + it.key() + "\""));
    }
    check_prefixes_apart(p->roles_, where);
  }
  if (!doc.contains("bindings")) throw Error(where + ": no \"bindings\": nobody would be allowed anything");
  const auto& bindings = doc["bindings"];
  if (!bindings.is_array()) throw Error(where + ": \"bindings\" must be an array");
  for (size_t i = 0; i < bindings.size(); ++i) {
    p->bindings_.push_back(
        parse_binding(bindings[i], p->roles_, where + ": binding " + std::to_string(i + 1)));
  }
  return p;
}

const Role* Policy::role_for(const tls::Identity& identity, std::string* matched) const {
  for (const auto& b : bindings_) {
    for (const auto& pattern : b.identities) {
      if (!identity_matches(pattern, identity)) continue;
      if (matched != nullptr) *matched = pattern;
      for (const auto& r : roles_) {
        if (r.name == b.role) return &r;
      }
    }
  }
  return nullptr;
}

BodyJudged Policy::judged_body(const tls::Identity& identity, const Route& route) const {
  if (route.endpoint == nullptr || route.endpoint->body == BodyJudged::none) return BodyJudged::none;
  const Role* role = role_for(identity);
  return role != nullptr && role->sandbox ? route.endpoint->body : BodyJudged::none;
}

namespace {

// Whether a Content-Type holds only printable ASCII and tabs. Go's mime.ParseMediaType lowercases and trims
// the media type by Unicode's rules (U+00A0 is a space to it, U+0130 lowers to 'i'), so outside ASCII a value
// could name a form to the engine that is_form, which follows those rules for ASCII, would not see.
bool is_ascii_text(std::string_view type) {
  return std::all_of(type.begin(), type.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b == '\t' || (b >= 0x20 && b < 0x7f);
  });
}

// Whether a Content-Type is one Go's Request.ParseForm or ParseMultipartForm reads parameters from, as
// mime.ParseMediaType sees it: the part before any ';', trimmed, in any case.
bool is_form(std::string_view type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return iequals_ascii(type, "application/x-www-form-urlencoded") ||
         iequals_ascii(type, "multipart/form-data");
}

// Why the container sandbox refuses a request a sandboxed role's rules allow; nullopt when it does not.
// Objects the request acts on or mounts are added to `to_inspect`.
std::optional<std::string> sandbox_denial(const Role& role, const Route& route,
                                          const std::optional<std::string>& body,
                                          std::vector<EngineObject>& to_inspect) {
  // A path no endpoint row describes (an old API's /containers/{id}/copy, a later API's additions) grants
  // whatever the engine does with it, and nothing below would look at it: refused whatever the rules say.
  if (route.endpoint == nullptr) {
    return std::string(
        "the engine endpoint is one dockgate does not know, so the sandbox cannot judge what it grants");
  }
  const std::string_view name = route.endpoint->name;
  // Before API 1.24 the engine took a HostConfig in the body of POST /containers/{id}/start and replaced
  // the container's settings with it (api/server/router/container/container_routes.go); other handlers
  // differ by version too. The oldest version sandboxed roles may speak is the one without that.
  if (!route.version.empty() && version_older(route.version, kMinSandboxedApi)) {
    return "API version " + route.version + " is older than " + std::string(kMinSandboxedApi) +
           ", the oldest sandboxed roles may use (older engines read settings from more places)";
  }
  // BuildKit's control API (/grpc) runs whatever build graph it is sent: refused until it is judged. A
  // session (/session) only lets the engine read the client's own build context and credentials for a
  // build that names it, and every BuildKit build (/build?version=2) is refused below; allowing it is what
  // lets the docker CLI show that refusal and its way out instead of "unable to upgrade to h2c, received
  // 403".
  if (name == "build.grpc") {
    return std::string(
        "BuildKit's build API cannot be judged yet: build with the classic builder "
        "(DOCKER_BUILDKIT=0)");
  }
  std::vector<std::string> volumes;
  bodies::Context context{&role.bind_prefixes, false, &volumes};
  if (auto object = acted_on(route)) to_inspect.push_back(std::move(*object));
  if (auto engine = engine_relied_on(route)) to_inspect.push_back(std::move(*engine));
  if (name == "image.build" || name == "image.build.remote")
    return bodies::judge_build_query(route.query, context);
  if (name == "service.update" && query_value(route.query, "rollback") == "previous") {
    return std::string("rolls back to the previous spec, which was never judged");
  }
  if (route.endpoint->body == BodyJudged::none) return std::nullopt;
  if (route.endpoint->body == BodyJudged::start) {
    if (!body) return std::string("the start of the request body could not be read");
    return bodies::judge_archive_start(*body);
  }
  if (!bodies::has_schema(name))
    return std::string(name) + " grants what its body asks, which dockgate does not judge";
  if (!body || body->size() > kMaxInspectedBody) {
    return "the request body is larger than the " + std::to_string(kMaxInspectedBody >> 20) +
           " MiB that are inspected";
  }
  if (auto d = bodies::judge_body(name, *body, context)) return d;
  if (volumes.size() > kMaxNamedVolumes) {
    return "mounts " + std::to_string(volumes.size()) + " volumes by name (at most " +
           std::to_string(kMaxNamedVolumes) + " are judged for one request)";
  }
  for (auto& v : volumes) to_inspect.push_back({EngineObject::Kind::volume, std::move(v)});
  return std::nullopt;
}

// A denial's words: who asked, and what.
std::string who(const tls::Identity& identity) {
  return identity.common_name.empty() ? identity.peer : "CN=" + identity.common_name;
}
std::string what(std::string_view method, const Route& route) {
  return std::string(method) + " " + route.path + " (" +
         (route.endpoint != nullptr ? route.endpoint->name : "unknown") + ")";
}

}  // namespace

Decision Policy::decide(const tls::Identity& identity, std::string_view method, const Route& route,
                        const std::optional<std::string>& body, std::string_view body_type) const {
  Decision d;
  const std::string_view name = route.endpoint != nullptr ? route.endpoint->name : "unknown";
  const std::string_view category = route.endpoint != nullptr ? category_name(route.endpoint->category) : "";
  if (route.refused) {
    d.rule = "path check";
    d.reason = "the request path has " + *route.refused + ", which the engine might read differently";
    return d;
  }
  if (!is_ascii_text(body_type)) {
    d.rule = "content type";
    d.reason =
        who(identity) +
        ": the Content-Type holds bytes outside printable ASCII, which the engine reads by Unicode rules "
        "of its own (it could take the body for a form); send the type in ASCII";
    return d;
  }
  if (is_form(body_type)) {
    // Go's ParseForm (every handler calls it) reads such a body's parameters before the query's, so the
    // engine could act on parameters that routing and judging never saw. No Docker client sends one.
    d.rule = "form body";
    d.reason = who(identity) + ": the request has a form body (Content-Type: " + std::string(body_type) +
               "), whose parameters the engine would read in place of the query's; send them in the query";
    return d;
  }
  if (name == "container.create" || name == "container.rename") {
    // The engine looks a container up by full ID, then by name, then by ID prefix, and takes any valid
    // name, so a name of a full ID's form would stand for whichever container once had that ID: the
    // sandbox forwards a judged request naming its container by full ID (targets.hpp), and such a name,
    // given to an escaping container, would catch the request once the judged one is removed.
    std::string wanted = query_value(route.query, "name");
    if (!wanted.empty() && wanted.front() == '/') wanted.erase(0, 1);
    if (is_full_id(wanted)) {
      d.rule = "container name";
      d.reason = who(identity) + ": the name \"" + wanted +
                 "\" has the form of a container ID, which the engine would confuse with one; choose another";
      return d;
    }
  }
  const Role* role = role_for(identity);
  if (role == nullptr) {
    d.rule = "no binding";
    d.reason = who(identity) + " matches no binding in " + source_ + ", so it may do nothing";
    return d;
  }
  d.role = role->name;
  const Rule* decided = nullptr;
  for (const auto& rule : role->rules) {
    if (!method_matches(rule.methods, method)) continue;
    if (std::any_of(rule.patterns.begin(), rule.patterns.end(),
                    [&](const EndpointPattern& p) { return pattern_matches(p, name, category); })) {
      decided = &rule;
      break;
    }
  }
  if (decided == nullptr || !decided->allow) {
    d.rule =
        decided != nullptr ? "role " + role->name + ": " + decided->text : "role " + role->name + ": no rule";
    d.reason = who(identity) + " (role " + role->name + ") may not " + what(method, route);
    return d;
  }
  d.rule.reserve(role->name.size() + decided->text.size() + 7);
  d.rule.append("role ").append(role->name).append(": ").append(decided->text);
  if (role->sandbox) {
    if (auto escape = sandbox_denial(*role, route, body, d.to_inspect)) {
      d.rule = "role " + role->name + ": container sandbox";
      d.reason = who(identity) + " (role " + role->name + ") may not " + what(method, route) + ": " + *escape;
      return d;
    }
  }
  d.allowed = true;
  return d;
}

void Policy::judge_inspected(Decision& decision, const tls::Identity& identity, std::string_view method,
                             const Route& route, const EngineObject& object, int status,
                             std::string_view body) const {
  const Role* role = role_for(identity);
  if (!decision.allowed || role == nullptr) return;
  std::vector<EngineObject> more;
  bodies::Context context{&role->bind_prefixes};
  Inspected inspected;
  if (!inspect_path(object)) {
    inspected.denial = "is not a name the engine gives anything";
  } else {
    inspected = authz::judge_inspected(object, status, body, context, more);
  }
  const bool acted = acted_on(route) == object;
  if (acted && inspected.missing) {
    // Forwarded, the name could meanwhile be given to another container (a rename): answer as the engine
    // would have.
    inspected.denial = "does not exist at the engine";
    decision.status = 404;
  }
  if (!inspected.denial) {
    if (acted) decision.acted_on_id = inspected.id;
    for (auto& m : more) {
      if (std::find(decision.to_inspect.begin(), decision.to_inspect.end(), m) == decision.to_inspect.end()) {
        decision.to_inspect.push_back(std::move(m));
      }
    }
    return;
  }
  decision.allowed = false;
  decision.rule = "role " + role->name + ": container sandbox";
  decision.reason = who(identity) + " (role " + role->name + ") may not " + what(method, route) + ": " +
                    describe(object) + " " + *inspected.denial;
  decision.to_inspect.clear();
  decision.acted_on_id.clear();
}

}  // namespace dockgate::authz
