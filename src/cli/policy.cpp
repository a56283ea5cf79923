// `dockgate policy check FILE` and `dockgate policy explain`: a policy validated, and a decision shown
// without sending anything to an engine.
#include "authz/policy.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "authz/bodies/judge.hpp"
#include "cli/commands.hpp"
#include "error.hpp"
#include "files/batch.hpp"

namespace dockgate::cli {
namespace {

struct PolicyFlags {
  std::string file, identity, method, path, body_file;
  std::vector<std::string> groups;
  bool local = false;
};

std::shared_ptr<const authz::Policy> load(const std::string& file) {
  if (file.empty()) return authz::Policy::allow_all();
  return authz::Policy::parse(files::read_file(file, "policy"), file);
}

void check(const PolicyFlags& f) {
  auto policy = load(f.file);  // throws Error naming the problem
  std::cout << "policy OK: " << f.file << "\n";
  if (policy->binds_nobody()) {
    std::cerr << "dockgate: warning: " << f.file
              << " has no bindings, so every client is denied everything; bind identities to roles\n";
  }
}

void explain(const PolicyFlags& f) {
  auto p = load(f.file);
  tls::Identity id;
  id.common_name = f.identity;
  id.groups = f.groups;
  id.local = f.local;
  id.peer = f.local ? "unix" : "explain";
  authz::Route route = authz::route(f.method, f.path);
  std::optional<std::string> body;
  if (!f.body_file.empty()) {
    body = files::read_file(f.body_file, "--body");
  } else if (p->judged_body(id, route) != authz::BodyJudged::none) {
    body = std::string();
  }
  authz::Decision d = p->decide(id, f.method, route, body);
  std::cout << (d.allowed ? "allow" : "deny") << "\n"
            << "  endpoint: " << (route.endpoint != nullptr ? route.endpoint->name : "unknown") << " ("
            << (route.endpoint != nullptr ? authz::category_name(route.endpoint->category) : "no category")
            << ")\n"
            << "  role:     " << (d.role.empty() ? "(none)" : d.role) << "\n"
            << "  rule:     " << d.rule << "\n";
  if (!d.allowed) std::cout << "  reason:   " << d.reason << "\n";
  for (const auto& object : d.to_inspect) {
    std::cout << "  then:     " << authz::describe(object) << " is judged as the engine holds it\n";
  }
  if (!d.allowed) throw ExitStatus{1};
}

// The sandbox's body tables, as the README documents them and the oracle compares them with moby's types.
void fields(bool json) {
  namespace b = authz::bodies;
  if (json) {
    nlohmann::json out = {{"bodies", nlohmann::json::array()}, {"shapes", nlohmann::json::object()}};
    for (const auto& s : b::body_schemas())
      out["bodies"].push_back({{"endpoint", s.endpoint}, {"shape", s.shape->go_type}});
    for (const b::Shape* shape : b::all_shapes()) {
      auto& rows = out["shapes"][std::string(shape->go_type)] = nlohmann::json::array();
      for (const auto& f : shape->fields) {
        rows.push_back({{"name", f.name},
                        {"wire", b::wire_name(f.wire)},
                        {"verdict", b::verdict_name(f.verdict)},
                        {"shape", f.shape != nullptr ? std::string(f.shape->go_type) : ""},
                        {"since", f.since},
                        {"why", f.why}});
      }
    }
    std::cout << out.dump(2) << "\n";
    return;
  }
  for (const b::Shape* shape : b::all_shapes()) {
    std::cout << shape->go_type << "\n";
    for (const auto& f : shape->fields) {
      std::cout << "  " << f.name << "  " << b::verdict_name(f.verdict);
      if (!f.why.empty()) std::cout << ": " << f.why;
      if (!f.since.empty() && f.since != "-") std::cout << " (API " << f.since << ")";
      std::cout << "\n";
    }
  }
}

}  // namespace

void add_policy(CLI::App& app) {
  auto f = std::make_shared<PolicyFlags>();
  CLI::App* cmd = app.add_subcommand("policy", "Check a policy file, or explain a decision");
  cmd->require_subcommand(1);
  CLI::App* c = cmd->add_subcommand("check", "Validate a policy file");
  c->add_option("FILE", f->file, "Policy file")->required();
  c->callback([f] { check(*f); });
  CLI::App* e = cmd->add_subcommand("explain", "Show the decision for a request, and the rule that made it");
  e->add_option("METHOD", f->method, "GET, POST, ...")->required();
  e->add_option("PATH", f->path, "Request path, e.g. /v1.41/containers/create")->required();
  e->add_option("--policy", f->file, "Policy file (default: none, every client is admin)")->type_name("FILE");
  e->add_option("--identity", f->identity, "Client certificate CN")->type_name("NAME");
  e->add_option("--group", f->groups, "A group of the client certificate (repeatable)")->type_name("GROUP");
  e->add_flag("--local", f->local, "A unix-socket client");
  e->add_option("--body", f->body_file, "Request body (JSON) to judge")->type_name("FILE");
  e->callback([f] { explain(*f); });
  auto json = std::make_shared<bool>(false);
  CLI::App* fl =
      cmd->add_subcommand("fields", "List, field by field, what a sandboxed role may send in a body");
  fl->add_flag("--json", *json, "As JSON (what tests/oracle compares with moby's types)");
  fl->callback([json] { fields(*json); });
}

}  // namespace dockgate::cli
