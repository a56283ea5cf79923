// Config-file parsing and the flag/file merge, after dockerd's daemon/config/config.go.
#include "config/settings.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "config/json_file.hpp"
#include "error.hpp"

namespace dockgate::config {
namespace {

enum class Type { string, boolean, string_list };

struct Directive {
  std::string name;  // config-file key
  Type type;
};

// Sorted by flag name, as Go's flag.Visit walks them ("host" is the flag of "hosts").
const std::vector<Directive>& directives() {
  static const std::vector<Directive> all = {
      {"allow-insecure-tcp", Type::boolean},
      {"audit-log", Type::string},
      {"group", Type::string},
      {"hosts", Type::string_list},
      {"policy", Type::string},
      {"tls", Type::boolean},
      {"tlscacert", Type::string},
      {"tlscert", Type::string},
      {"tlscrl", Type::string},
      {"tlskey", Type::string},
      {"tlsverify", Type::boolean},
      {"upstream", Type::string},
  };
  return all;
}

// A value as Go's fmt %v prints it, which is how dockerd shows both sides of a conflict.
std::string go_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + go_text(v[i]);
    return out + "]";
  }
  return v.dump();
}

bool has_type(const nlohmann::json& v, Type t) {
  switch (t) {
    case Type::string:
      return v.is_string();
    case Type::boolean:
      return v.is_boolean();
    case Type::string_list:
      return v.is_array() &&
             std::all_of(v.begin(), v.end(), [](const nlohmann::json& e) { return e.is_string(); });
  }
  return false;
}

const char* type_text(Type t) {
  switch (t) {
    case Type::string:
      return "a string";
    case Type::boolean:
      return "true or false";
    case Type::string_list:
      return "an array of strings";
  }
  return "";
}

}  // namespace

const std::vector<std::string>& directive_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& d : directives()) n.push_back(d.name);
    return n;
  }();
  return names;
}

Directives parse_config_file(const std::string& text, const std::string& path) {
  const std::string where = "unable to configure dockgate with file " + path + ": ";
  nlohmann::json doc = parse_json_text(text, where);
  if (!doc.is_object()) throw Error(where + "the file must hold a JSON object ({...})");

  std::vector<std::string> unknown;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    auto d = std::find_if(directives().begin(), directives().end(),
                          [&](const Directive& x) { return x.name == key; });
    if (d == directives().end()) {
      unknown.push_back(key);
    } else if (!has_type(*it, d->type)) {
      std::string msg = where;
      msg += "\"" + key + "\" must be ";
      msg += type_text(d->type);
      msg += ", not " + it->dump();
      throw Error(msg);
    }
  }
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());
    std::string list;
    for (const auto& k : unknown) list += (list.empty() ? "" : ", ") + k;
    throw Error(where + "the following directives don't match any configuration option: " + list);
  }
  return doc;
}

Settings merge(const Directives& flags, const Directives& file) {
  std::string conflicts;
  for (const auto& d : directives()) {
    if (flags.contains(d.name) && file.contains(d.name)) {
      conflicts += (conflicts.empty() ? "" : ", ") + d.name + ": (from flag: " + go_text(flags[d.name]) +
                   ", from file: " + go_text(file[d.name]) + ")";
    }
  }
  if (!conflicts.empty()) {
    throw Error("the following directives are specified both as a flag and in the configuration file: " +
                conflicts);
  }
  nlohmann::json all = file;
  for (const auto& [key, value] : flags.items()) all[key] = value;

  Settings s;
  if (all.contains("hosts")) s.hosts = all["hosts"].get<std::vector<std::string>>();
  if (all.contains("tls")) s.tls = all["tls"].get<bool>();
  if (all.contains("tlsverify")) s.tlsverify = all["tlsverify"].get<bool>();
  s.tlscacert = all.value("tlscacert", "");
  s.tlscert = all.value("tlscert", "");
  s.tlskey = all.value("tlskey", "");
  s.tlscrl = all.value("tlscrl", "");
  s.group = all.value("group", s.group);
  s.upstream = all.value("upstream", s.upstream);
  s.allow_insecure_tcp = all.value("allow-insecure-tcp", false);
  s.policy = all.value("policy", "");
  s.audit_log = all.value("audit-log", "");
  return s;
}

void check_exposure(const Settings& settings, const std::string& name, bool tcp, bool loopback) {
  if (!tcp || loopback || settings.allow_insecure_tcp) return;
  if (!settings.tls_enabled()) {
    throw Error("refusing to listen on " + name +
                " without TLS: anyone who can reach it gets root on this host. Use TLS (drop --tls=false), "
                "listen on a loopback address, or pass --allow-insecure-tcp if you really mean it");
  }
  if (!settings.verify_clients()) {
    throw Error("refusing to listen on " + name +
                " without verifying clients (--tlsverify=false): anyone who can reach it gets root on this "
                "host. Drop --tlsverify=false, listen on a loopback address, or pass --allow-insecure-tcp "
                "if you really mean it");
  }
}

std::vector<ListenAddress> listen_addresses(const Settings& settings) {
  bool tls = settings.tls_enabled();
  std::vector<std::string> hosts = settings.hosts.empty() ? std::vector<std::string>{""} : settings.hosts;
  std::vector<ListenAddress> out;
  for (const auto& h : hosts) {
    ListenAddress a = parse_listen_address(h, tls);
    bool tcp = a.kind == ListenAddress::Kind::tcp;
    check_exposure(settings, a.text(), tcp, tcp && is_loopback_host(a.host));
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace dockgate::config
