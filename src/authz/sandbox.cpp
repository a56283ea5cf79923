// The escape checklist. The fields and their meaning follow moby 20.10's api/types/container
// (HostConfig, Resources), runconfig/config.go (a create body may carry HostConfig fields at its top
// level, which the engine uses when there is no "HostConfig" object: both places are checked) and
// api/types/swarm. Anything of an unexpected type is treated as an escape: the engine would reject it, and
// we do not guess.
#include "authz/sandbox.hpp"

#include <algorithm>

#include "authz/endpoints.hpp"

namespace dockgate::authz {
namespace {

using Kind = JsonValue::Kind;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool equals_lower(std::string_view s, std::string_view lower_case) {
  return s.size() == lower_case.size() &&
         std::equal(s.begin(), s.end(), lower_case.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

bool starts_with_lower(std::string_view s, std::string_view lower_case) {
  return s.size() >= lower_case.size() && equals_lower(s.substr(0, lower_case.size()), lower_case);
}

// "where" + "name" + "what": the field at fault, built only for a denial.
std::string at(std::string_view where, std::string_view name, std::string_view what) {
  std::string out;
  out.reserve(where.size() + name.size() + what.size());
  out.append(where).append(name).append(what);
  return out;
}

// A field (`v`, the value of field `name`) that must be absent, null, false, or (for lists and maps) empty.
std::string must_be_unset(const JsonValue* v, std::string_view where, std::string_view name) {
  if (v == nullptr || v->kind == Kind::null) return "";
  if (v->is_set()) return at(where, name, " is set");
  return "";
}

std::string must_be_unset(const JsonValue& obj, std::string_view where, const FieldName& name) {
  return must_be_unset(obj.field(name), where, name.text());
}

std::string must_not_be_host(const JsonValue* v, std::string_view where, std::string_view name,
                             bool container_prefix) {
  if (v == nullptr || v->kind == Kind::null) return "";
  if (v->kind != Kind::string) return at(where, name, " is not a string");
  if (equals_lower(v->string, "host")) return at(where, name, " is " + std::string(v->string));
  if (container_prefix && starts_with_lower(v->string, "container:")) {
    return at(where, name, " joins another container (" + std::string(v->string) + ")");
  }
  return "";
}

std::string check_mount_list(const JsonValue* mounts, std::string_view where, std::string_view name,
                             const std::vector<std::string>& prefixes) {
  if (mounts == nullptr || mounts->kind == Kind::null) return "";
  if (mounts->kind != Kind::array) return at(where, name, " is not a list");
  for (const auto& m : mounts->items()) {
    if (m.kind != Kind::object) return at(where, name, " holds something other than mounts");
    const JsonValue* type = m.field("Type");
    std::string t = type != nullptr && type->kind == Kind::string ? lower(type->string) : "";
    if (t == "bind") {
      const JsonValue* src = m.field("Source");
      std::string source = src != nullptr && src->kind == Kind::string ? std::string(src->string) : "";
      if (!bind_allowed(source, prefixes)) return at(where, name, " binds host path " + source);
    } else if (t == "volume") {
      // A local volume with bind options mounts a host path too.
      const JsonValue* opts = m.field("VolumeOptions");
      const JsonValue* driver = opts != nullptr ? opts->field("DriverConfig") : nullptr;
      const JsonValue* options = driver != nullptr ? driver->field("Options") : nullptr;
      if (options != nullptr && options->is_set()) return at(where, name, " sets volume driver options");
    } else if (t != "tmpfs") {
      return at(where, name,
                " has a mount of type \"" + std::string(type != nullptr ? type->string : "") + "\"");
    }
  }
  return "";
}

std::string check_binds(const JsonValue* binds, std::string_view where,
                        const std::vector<std::string>& prefixes) {
  if (binds == nullptr || binds->kind == Kind::null) return "";
  if (binds->kind != Kind::array) return at(where, "Binds", " is not a list");
  for (const auto& b : binds->items()) {
    if (b.kind != Kind::string) return at(where, "Binds", " holds a non-string");
    std::string_view source = b.string.substr(0, b.string.find(':'));
    // A name is a named volume; anything with a slash is a host path (the engine's parser agrees).
    if (source.find('/') != std::string_view::npos && !bind_allowed(source, prefixes)) {
      return at(where, "Binds", " binds host path " + std::string(source));
    }
  }
  return "";
}

std::string check_security_opt(const JsonValue* opts, std::string_view where) {
  if (opts == nullptr || opts->kind == Kind::null) return "";
  if (opts->kind != Kind::array) return at(where, "SecurityOpt", " is not a list");
  for (const auto& o : opts->items()) {
    if (o.kind != Kind::string) return at(where, "SecurityOpt", " holds a non-string");
    std::string v = lower(o.string);
    if (v.find("unconfined") != std::string::npos || v.find("disable") != std::string::npos) {
      return at(where, "SecurityOpt", " has " + std::string(o.string));
    }
  }
  return "";
}

// An explicitly empty list of masked or read-only paths unmasks /proc and /sys entries.
std::string check_paths(const JsonValue* v, std::string_view where, std::string_view name) {
  if (v == nullptr || v->kind == Kind::null) return "";
  if (v->kind != Kind::array) return at(where, name, " is not a list");
  if (v->items().empty()) return at(where, name, " is empty (unmasks kernel paths)");
  return "";
}

// Another OCI runtime than the default may not isolate at all (or is configured by whoever set it up).
std::string check_runtime(const JsonValue* v, std::string_view where) {
  if (v == nullptr || v->kind == Kind::null) return "";
  if (v->kind != Kind::string) return at(where, "Runtime", " is not a string");
  if (!v->string.empty() && v->string != "runc") return at(where, "Runtime", " is " + std::string(v->string));
  return "";
}

// Every field of HostConfig that the checks read, looked up in one pass.
constexpr FieldSet kHostConfig({"Privileged",     "Binds",        "Mounts",        "VolumesFrom",
                                "CapAdd",         "Capabilities", "Devices",       "DeviceCgroupRules",
                                "DeviceRequests", "SecurityOpt",  "NetworkMode",   "PidMode",
                                "IpcMode",        "UTSMode",      "UsernsMode",    "CgroupnsMode",
                                "Sysctls",        "MaskedPaths",  "ReadonlyPaths", "Runtime",
                                "CgroupParent"});

// The checks in order; the first that finds an escape decides. Nothing is built for a body that passes.
std::string host_config_escape(const JsonValue& h, std::string_view where,
                               const std::vector<std::string>& prefixes) {
  constexpr const auto& set = kHostConfig;
  const auto f = h.fields(set);
  auto name = [&](std::size_t i) { return set.names()[i].text(); };
  const JsonValue* priv = f[set.at("Privileged")];
  if (priv != nullptr && priv->kind != Kind::null && priv->kind != Kind::boolean) {
    return at(where, "Privileged", " is not a boolean");
  }
  if (priv != nullptr && priv->is_true()) return at(where, "Privileged", " is true");
  if (auto e = check_binds(f[set.at("Binds")], where, prefixes); !e.empty()) return e;
  if (auto e = check_mount_list(f[set.at("Mounts")], where, "Mounts", prefixes); !e.empty()) return e;
  static constexpr std::size_t kUnset[] = {set.at("VolumesFrom"),       set.at("CapAdd"),
                                           set.at("Capabilities"),      set.at("Devices"),
                                           set.at("DeviceCgroupRules"), set.at("DeviceRequests")};
  for (std::size_t i : kUnset) {
    if (auto e = must_be_unset(f[i], where, name(i)); !e.empty()) return e;
  }
  if (auto e = check_security_opt(f[set.at("SecurityOpt")], where); !e.empty()) return e;
  static constexpr std::size_t kNamespaces[] = {set.at("NetworkMode"), set.at("PidMode"), set.at("IpcMode")};
  for (std::size_t i : kNamespaces) {
    if (auto e = must_not_be_host(f[i], where, name(i), true); !e.empty()) return e;
  }
  static constexpr std::size_t kOwnNamespaces[] = {set.at("UTSMode"), set.at("UsernsMode"),
                                                   set.at("CgroupnsMode")};
  for (std::size_t i : kOwnNamespaces) {
    if (auto e = must_not_be_host(f[i], where, name(i), false); !e.empty()) return e;
  }
  if (auto e = must_be_unset(f[set.at("Sysctls")], where, "Sysctls"); !e.empty()) return e;
  for (std::size_t i : {set.at("MaskedPaths"), set.at("ReadonlyPaths")}) {
    if (auto e = check_paths(f[i], where, name(i)); !e.empty()) return e;
  }
  if (auto e = check_runtime(f[set.at("Runtime")], where); !e.empty()) return e;
  return must_be_unset(f[set.at("CgroupParent")], where, "CgroupParent");
}

std::string service_escape(const JsonValue& body, const std::vector<std::string>& prefixes) {
  const JsonValue* task = body.field("TaskTemplate");
  const JsonValue* spec = task != nullptr ? task->field("ContainerSpec") : nullptr;
  if (spec != nullptr && spec->kind == Kind::object) {
    std::string where = "TaskTemplate.ContainerSpec.";
    if (auto e = check_mount_list(spec->field("Mounts"), where, "Mounts", prefixes); !e.empty()) return e;
    if (auto e = must_be_unset(*spec, where, "CapabilityAdd"); !e.empty()) return e;
    if (auto e = must_be_unset(*spec, where, "Sysctls"); !e.empty()) return e;
    if (const JsonValue* p = spec->field("Privileges"); p != nullptr && p->kind == Kind::object) {
      static constexpr FieldName kConfinement[] = {"Seccomp", "AppArmor", "SELinuxContext"};
      for (const FieldName& name : kConfinement) {
        const JsonValue* v = p->field(name);
        if (v == nullptr || v->kind != Kind::object) continue;
        const JsonValue* mode = v->field("Mode");
        const JsonValue* disable = v->field("Disable");
        if ((mode != nullptr && mode->kind == Kind::string &&
             (lower(mode->string) == "unconfined" || lower(mode->string) == "disabled")) ||
            (disable != nullptr && disable->is_true())) {
          return where + "Privileges." + std::string(name.text()) + " is disabled";
        }
      }
    }
  }
  if (task != nullptr) {
    if (const JsonValue* nets = task->field("Networks"); nets != nullptr && nets->kind == Kind::array) {
      for (const auto& n : nets->items()) {
        const JsonValue* target = n.field("Target");
        if (target != nullptr && target->kind == Kind::string && lower(target->string) == "host") {
          return "TaskTemplate.Networks targets the host network";
        }
      }
    }
  }
  return "";
}

}  // namespace

bool bind_allowed(std::string_view source, const std::vector<std::string>& prefixes) {
  if (source.empty() || source.front() != '/') return false;
  size_t start = 1;
  while (start <= source.size()) {
    size_t slash = source.find('/', start);
    std::string_view seg = source.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (seg == "." || seg == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  for (std::string prefix : prefixes) {
    while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
    if (prefix.empty() || prefix.front() != '/') continue;
    if (prefix == "/") return true;
    if (source == prefix || (source.size() > prefix.size() && source.substr(0, prefix.size()) == prefix &&
                             source[prefix.size()] == '/')) {
      return true;
    }
  }
  return false;
}

std::string body_escape(std::string_view endpoint_name, const JsonValue& body,
                        const std::vector<std::string>& prefixes) {
  if (body.kind == Kind::null) return "";  // no body: nothing asked for
  if (body.kind != Kind::object) return "the body is not a JSON object";
  if (endpoint_name == "container.create") {
    const JsonValue* inner = body.field("HostConfig");
    if (inner != nullptr && inner->kind == Kind::object) {
      if (auto e = host_config_escape(*inner, "HostConfig.", prefixes); !e.empty()) return e;
    } else if (inner != nullptr && inner->kind != Kind::null) {
      return "HostConfig is not an object";
    }
    // Deprecated top-level HostConfig fields, which the engine honours when "HostConfig" is absent.
    return host_config_escape(body, "", prefixes);
  }
  if (endpoint_name == "container.update") {
    static constexpr FieldName kUpdateUnset[] = {"Devices", "DeviceCgroupRules", "DeviceRequests",
                                                 "CgroupParent"};
    for (const FieldName& name : kUpdateUnset) {
      if (auto e = must_be_unset(body, "", name); !e.empty()) return e;
    }
    return "";
  }
  if (endpoint_name == "container.exec") {
    const JsonValue* priv = body.field("Privileged");
    if (priv != nullptr && priv->kind != Kind::null && !(priv->kind == Kind::boolean))
      return "Privileged is not a boolean";
    if (priv != nullptr && priv->is_true()) return "Privileged is true";
    const JsonValue* user = body.field("User");
    if (user != nullptr && user->kind == Kind::string) {
      std::string u = lower(user->string.substr(0, user->string.find(':')));
      if (u == "root" || u == "0") return "User is " + std::string(user->string) + " (root)";
    } else if (user != nullptr && user->kind != Kind::null) {
      return "User is not a string";
    }
    return "";
  }
  if (endpoint_name == "volume.create") {
    const JsonValue* opts = body.field("DriverOpts");
    if (opts != nullptr && opts->is_set())
      return "DriverOpts is set (local volumes with options mount host paths)";
    return "";
  }
  if (endpoint_name == "service.create" || endpoint_name == "service.update")
    return service_escape(body, prefixes);
  if (endpoint_name.rfind("plugin.", 0) == 0) return "plugins run with the privileges this request grants";
  return "";
}

std::span<const FieldName> body_fields_read(std::string_view endpoint_name) {
  static constexpr FieldName kContainer[] = {"HostConfig"};
  static constexpr FieldName kService[] = {"TaskTemplate"};
  if (endpoint_name == "container.create") return kContainer;
  if (endpoint_name == "service.create" || endpoint_name == "service.update") return kService;
  return {};
}

std::string build_query_escape(std::string_view query) {
  std::string mode = lower(query_value(query, "networkmode"));
  if (mode == "host" || mode.rfind("container:", 0) == 0) return "networkmode=" + mode;
  return "";
}

}  // namespace dockgate::authz
