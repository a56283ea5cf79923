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

// A field that must be absent, null, false, or (for lists and maps) empty.
std::string must_be_unset(const JsonValue& obj, std::string_view where, std::string_view name) {
  const JsonValue* v = obj.field(name);
  if (v == nullptr || v->kind == Kind::null) return "";
  if (v->is_set()) return std::string(where) + std::string(name) + " is set";
  return "";
}

std::string must_not_be(const JsonValue& obj, std::string_view where, std::string_view name,
                        std::initializer_list<std::string_view> forbidden, bool container_prefix) {
  const JsonValue* v = obj.field(name);
  if (v == nullptr || v->kind == Kind::null) return "";
  if (v->kind != Kind::string) return std::string(where) + std::string(name) + " is not a string";
  std::string value = lower(v->string);
  for (auto f : forbidden) {
    if (value == f) return std::string(where) + std::string(name) + " is " + std::string(v->string);
  }
  if (container_prefix && value.rfind("container:", 0) == 0) {
    return std::string(where) + std::string(name) + " joins another container (" + std::string(v->string) +
           ")";
  }
  return "";
}

std::string check_mount_list(const JsonValue* mounts, std::string_view where,
                             const std::vector<std::string>& prefixes) {
  if (mounts == nullptr || mounts->kind == Kind::null) return "";
  if (mounts->kind != Kind::array) return std::string(where) + " is not a list";
  for (const auto& m : mounts->items()) {
    if (m.kind != Kind::object) return std::string(where) + " holds something other than mounts";
    const JsonValue* type = m.field("Type");
    std::string t = type != nullptr && type->kind == Kind::string ? lower(type->string) : "";
    if (t == "bind") {
      const JsonValue* src = m.field("Source");
      std::string source = src != nullptr && src->kind == Kind::string ? std::string(src->string) : "";
      if (!bind_allowed(source, prefixes)) return std::string(where) + " binds host path " + source;
    } else if (t == "volume") {
      // A local volume with bind options mounts a host path too.
      const JsonValue* opts = m.field("VolumeOptions");
      const JsonValue* driver = opts != nullptr ? opts->field("DriverConfig") : nullptr;
      const JsonValue* options = driver != nullptr ? driver->field("Options") : nullptr;
      if (options != nullptr && options->is_set()) return std::string(where) + " sets volume driver options";
    } else if (t != "tmpfs") {
      return std::string(where) + " has a mount of type \"" +
             std::string(type != nullptr ? type->string : "") + "\"";
    }
  }
  return "";
}

std::string check_binds(const JsonValue* binds, std::string_view where,
                        const std::vector<std::string>& prefixes) {
  if (binds == nullptr || binds->kind == Kind::null) return "";
  if (binds->kind != Kind::array) return std::string(where) + " is not a list";
  for (const auto& b : binds->items()) {
    if (b.kind != Kind::string) return std::string(where) + " holds a non-string";
    std::string source(b.string.substr(0, b.string.find(':')));
    // A name is a named volume; anything with a slash is a host path (the engine's parser agrees).
    if (source.find('/') != std::string::npos && !bind_allowed(source, prefixes)) {
      return std::string(where) + " binds host path " + source;
    }
  }
  return "";
}

std::string check_security_opt(const JsonValue* opts, std::string_view where) {
  if (opts == nullptr || opts->kind == Kind::null) return "";
  if (opts->kind != Kind::array) return std::string(where) + " is not a list";
  for (const auto& o : opts->items()) {
    if (o.kind != Kind::string) return std::string(where) + " holds a non-string";
    std::string v = lower(o.string);
    if (v.find("unconfined") != std::string::npos || v.find("disable") != std::string::npos) {
      return std::string(where) + " has " + std::string(o.string);
    }
  }
  return "";
}

// An explicitly empty list of masked or read-only paths unmasks /proc and /sys entries.
std::string check_paths(const JsonValue& h, std::string_view where, std::string_view name) {
  const JsonValue* v = h.field(name);
  if (v == nullptr || v->kind == Kind::null) return "";
  if (v->kind != Kind::array) return std::string(where) + std::string(name) + " is not a list";
  if (v->items().empty()) return std::string(where) + std::string(name) + " is empty (unmasks kernel paths)";
  return "";
}

// Another OCI runtime than the default may not isolate at all (or is configured by whoever set it up).
std::string check_runtime(const JsonValue& h, std::string_view where) {
  const JsonValue* v = h.field("Runtime");
  if (v == nullptr || v->kind == Kind::null) return "";
  if (v->kind != Kind::string) return std::string(where) + "Runtime is not a string";
  if (!v->string.empty() && v->string != "runc")
    return std::string(where) + "Runtime is " + std::string(v->string);
  return "";
}

std::string host_config_escape(const JsonValue& h, std::string_view where,
                               const std::vector<std::string>& prefixes) {
  const JsonValue* priv = h.field("Privileged");
  if (priv != nullptr && priv->kind != Kind::null && priv->kind != Kind::boolean) {
    return std::string(where) + "Privileged is not a boolean";
  }
  if (priv != nullptr && priv->is_true()) return std::string(where) + "Privileged is true";
  std::string w(where);
  for (const auto& check : {
           check_binds(h.field("Binds"), w + "Binds", prefixes),
           check_mount_list(h.field("Mounts"), w + "Mounts", prefixes),
           must_be_unset(h, where, "VolumesFrom"),
           must_be_unset(h, where, "CapAdd"),
           must_be_unset(h, where, "Capabilities"),
           must_be_unset(h, where, "Devices"),
           must_be_unset(h, where, "DeviceCgroupRules"),
           must_be_unset(h, where, "DeviceRequests"),
           check_security_opt(h.field("SecurityOpt"), w + "SecurityOpt"),
           must_not_be(h, where, "NetworkMode", {"host"}, true),
           must_not_be(h, where, "PidMode", {"host"}, true),
           must_not_be(h, where, "IpcMode", {"host"}, true),
           must_not_be(h, where, "UTSMode", {"host"}, false),
           must_not_be(h, where, "UsernsMode", {"host"}, false),
           must_not_be(h, where, "CgroupnsMode", {"host"}, false),
           must_be_unset(h, where, "Sysctls"),
           check_paths(h, where, "MaskedPaths"),
           check_paths(h, where, "ReadonlyPaths"),
           check_runtime(h, where),
           must_be_unset(h, where, "CgroupParent"),
       }) {
    if (!check.empty()) return check;
  }
  return "";
}

std::string service_escape(const JsonValue& body, const std::vector<std::string>& prefixes) {
  const JsonValue* task = body.field("TaskTemplate");
  const JsonValue* spec = task != nullptr ? task->field("ContainerSpec") : nullptr;
  if (spec != nullptr && spec->kind == Kind::object) {
    std::string where = "TaskTemplate.ContainerSpec.";
    if (auto e = check_mount_list(spec->field("Mounts"), where + "Mounts", prefixes); !e.empty()) return e;
    if (auto e = must_be_unset(*spec, where, "CapabilityAdd"); !e.empty()) return e;
    if (auto e = must_be_unset(*spec, where, "Sysctls"); !e.empty()) return e;
    if (const JsonValue* p = spec->field("Privileges"); p != nullptr && p->kind == Kind::object) {
      for (const char* name : {"Seccomp", "AppArmor", "SELinuxContext"}) {
        const JsonValue* v = p->field(name);
        if (v == nullptr || v->kind != Kind::object) continue;
        const JsonValue* mode = v->field("Mode");
        const JsonValue* disable = v->field("Disable");
        if ((mode != nullptr && mode->kind == Kind::string &&
             (lower(mode->string) == "unconfined" || lower(mode->string) == "disabled")) ||
            (disable != nullptr && disable->is_true())) {
          return where + "Privileges." + name + " is disabled";
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
    for (const char* name : {"Devices", "DeviceCgroupRules", "DeviceRequests", "CgroupParent"}) {
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

std::string build_query_escape(std::string_view query) {
  std::string mode = lower(query_value(query, "networkmode"));
  if (mode == "host" || mode.rfind("container:", 0) == 0) return "networkmode=" + mode;
  return "";
}

}  // namespace dockgate::authz
