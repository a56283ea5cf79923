// The named checks. Each comment says what the engine does with the value (moby 20.10 unless said) and so
// why a value outside the allowed set would leave the engine's default confinement.
#include "authz/bodies/checks.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "ascii.hpp"

namespace dockgate::authz::bodies::checks {
namespace {

using Kind = Json::Kind;

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

bool ascii_only(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// The value of the member whose key Go would decode into field `name` (an ASCII field name in lower case);
// the walker has already refused repeated keys, so the first is the only one.
const Json* member(const Json& object, std::string_view lower_name) {
  for (const auto& m : object.members) {
    if (go_fold(m.key) == lower_name) return &m.value;
  }
  return nullptr;
}

std::string_view string_member(const Json& object, std::string_view lower_name) {
  const Json* v = member(object, lower_name);
  return v != nullptr && v->kind == Kind::string ? v->text : std::string_view();
}

// The strings of a list, or the one string of a StrSlice given as a string.
std::vector<std::string_view> strings_of(const Json& v) {
  std::vector<std::string_view> out;
  if (v.kind == Kind::string) out.push_back(v.text);
  for (const auto& item : v.items) out.push_back(item.text);
  return out;
}

Denial host_path(std::string_view source, const Context& c) {
  static const std::vector<std::string> none;
  const auto& prefixes = c.bind_prefixes != nullptr ? *c.bind_prefixes : none;
  if (bind_allowed(source, prefixes)) return std::nullopt;
  if (auto prefix = prefix_containing(source, prefixes)) {
    return "binds host path " + quoted(source) + ", inside the role's bind prefix " + quoted(*prefix) +
           ", which is bound whole: a container that writes into it could make a path inside it a symlink to "
           "anywhere on the host (bind " +
           quoted(*prefix) + " itself, or make the directory you need the prefix)";
  }
  return "binds host path " + quoted(source) + ", outside the role's bind_prefixes";
}

// A volume mounted by name may exist already, made by someone else with options a sandboxed role could not
// give (o=bind, device=/): the caller judges it as the engine holds it. An empty name is a new volume.
void note_volume(std::string_view name, const Context& c) {
  if (c.named_volumes == nullptr || name.empty()) return;
  if (std::find(c.named_volumes->begin(), c.named_volumes->end(), name) == c.named_volumes->end()) {
    c.named_volumes->emplace_back(name);
  }
}

// A network named by the client: the predefined host network and another container's namespace hand
// over the host's or that container's network stack. A network may be named by its ID or an ID prefix
// (hex), which could be the host network's: such names are refused too.
Denial network_name(std::string_view name) {
  if (name.empty() || name == "default" || name == "bridge" || name == "none") return std::nullopt;
  if (ascii_uppercase(name) == "HOST") return "names the host's network";
  if (name.find(':') != std::string_view::npos) {
    return "is " + quoted(name) + ", which joins another container's network namespace";
  }
  if (std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      })) {
    return "is " + quoted(name) +
           ", which looks like a network ID and could be the host network's: name the network";
  }
  return std::nullopt;
}

Denial one_of_allowed(const Json& v, std::initializer_list<std::string_view> allowed, std::string_view why) {
  if (std::find(allowed.begin(), allowed.end(), v.text) != allowed.end()) return std::nullopt;
  std::string list;
  for (auto a : allowed)
    list += (list.empty() ? "" : ", ") + (a.empty() ? std::string("\"\"") : std::string(a));
  return "is " + quoted(v.text) + ": " + std::string(why) + " (allowed: " + list + ")";
}

// The flags of moby's pkg/mount flag table that the local driver would apply instead of passing them to
// the file system: a volume may use those that only restrict it.
constexpr std::array<std::string_view, 20> kSafeMountFlags = {
    "defaults", "ro",         "rw",       "suid",       "nosuid",      "dev",          "nodev",
    "exec",     "noexec",     "sync",     "async",      "dirsync",     "atime",        "noatime",
    "diratime", "nodiratime", "relatime", "norelatime", "strictatime", "nostrictatime"};
constexpr std::array<std::string_view, 13> kOtherMountFlags = {
    "bind",    "rbind",    "remount", "mand",    "nomand", "unbindable", "runbindable",
    "private", "rprivate", "shared",  "rshared", "slave",  "rslave"};

}  // namespace

std::string_view without_trailing_slashes(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

bool plain_absolute(std::string_view source) {
  if (source.empty() || source.front() != '/') return false;
  size_t start = 1;
  while (start <= source.size()) {
    size_t slash = source.find('/', start);
    std::string_view seg = source.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (seg == "." || seg == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

bool bind_allowed(std::string_view source, const std::vector<std::string>& prefixes) {
  if (!plain_absolute(source)) return false;
  source = without_trailing_slashes(source);
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& prefix) {
    return !prefix.empty() && prefix.front() == '/' && without_trailing_slashes(prefix) == source;
  });
}

std::optional<std::string> prefix_containing(std::string_view source,
                                             const std::vector<std::string>& prefixes) {
  if (!plain_absolute(source)) return std::nullopt;
  source = without_trailing_slashes(source);
  for (const auto& full : prefixes) {
    std::string_view prefix = without_trailing_slashes(full);
    if (prefix.empty() || prefix.front() != '/' || source == prefix) continue;
    if (prefix == "/" || (source.size() > prefix.size() && source.substr(0, prefix.size()) == prefix &&
                          source[prefix.size()] == '/')) {
      return std::string(prefix);
    }
  }
  return std::nullopt;
}

const std::vector<std::string_view>& default_masked_paths() {
  static const std::vector<std::string_view> paths = {
      "/proc/asound",
      "/proc/acpi",
      "/proc/kcore",
      "/proc/keys",
      "/proc/latency_stats",
      "/proc/timer_list",
      "/proc/timer_stats",
      "/proc/sched_debug",
      "/proc/scsi",
      "/sys/firmware",
      "/sys/devices/virtual/powercap"};  // the last since engine 25.0
  return paths;
}

const std::vector<std::string_view>& default_readonly_paths() {
  static const std::vector<std::string_view> paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                      "/proc/sysrq-trigger"};
  return paths;
}

// volume/mounts/linux_parser.go: "dst" is an anonymous volume; "src:dst" and "src:dst:mode" take src as a
// host path when it is absolute and as a volume name otherwise.
Denial binds(const Json& v, const Context& c) {
  for (const auto& item : v.items) {
    std::string_view spec = item.text;
    size_t colon = spec.find(':');
    if (colon == std::string_view::npos) continue;  // an anonymous volume
    std::string_view source = spec.substr(0, colon);
    if (!source.empty() && source.front() == '/') {
      if (auto d = host_path(source, c)) return d;
    } else {
      note_volume(source, c);
    }
  }
  return std::nullopt;
}

// api/types/mount: a bind mounts Source from the host; a volume and a tmpfs stay the engine's. npipe is
// Windows', and any other type is refused by the engine too.
Denial mount(const Json& v, const Context& c) {
  std::string_view type = string_member(v, "type");
  if (type == "bind") return host_path(string_member(v, "source"), c);
  if (type == "volume") note_volume(string_member(v, "source"), c);
  if (type == "volume" || type == "tmpfs") return std::nullopt;
  return "has type " + quoted(type) + " (allowed: bind of one of the role's bind_prefixes, volume, tmpfs)";
}

Denial network_mode(const Json& v, const Context&) {
  return network_name(v.text);
}

Denial endpoints_config(const Json& v, const Context&) {
  const Json* endpoints = member(v, "endpointsconfig");
  if (endpoints == nullptr) return std::nullopt;
  for (const auto& m : endpoints->members) {
    if (auto d = network_name(m.key)) return *d + " (EndpointsConfig[" + std::string(m.key) + "])";
  }
  return std::nullopt;
}

Denial network_target(const Json& v, const Context&) {
  return network_name(v.text);
}

// container.IpcMode: host and container:NAME share another namespace's shared memory.
Denial ipc_mode(const Json& v, const Context&) {
  return one_of_allowed(v, {"", "private", "shareable", "none"}, "it would share another IPC namespace");
}

Denial private_namespace(const Json& v, const Context&) {
  return one_of_allowed(v, {""}, "the container would share the host's or another container's namespace");
}

// On cgroup v1 engines every container runs in the host's cgroup namespace; /sys/fs/cgroup stays read-only
// for an unprivileged container either way.
Denial cgroupns_mode(const Json& v, const Context&) {
  return one_of_allowed(v, {"", "private", "host"}, "the engine knows no other cgroup namespace mode");
}

// oci/caps: the engine upper-cases a name (Go's strings.ToUpper, which maps some non-ASCII letters to ASCII
// ones, so those are refused) and adds CAP_. Re-adding a default capability changes nothing; any other
// (SYS_ADMIN, SYS_MODULE, ALL, ...) widens what root in the container may do to the host.
Denial cap_add(const Json& v, const Context&) {
  static constexpr std::array<std::string_view, 14> kDefault = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  for (std::string_view cap : strings_of(v)) {
    std::string name = ascii_uppercase(cap);
    if (!name.starts_with("CAP_")) name.insert(0, "CAP_");
    if (!ascii_only(cap) || !one_of(name, kDefault)) {
      return "adds " + quoted(cap) + ", which is not among the engine's default capabilities";
    }
  }
  return std::nullopt;
}

// daemon/daemon_unix.go parseSecurityOpt: an option is KEY=VALUE (or the deprecated KEY:VALUE). Allowed
// are those that keep or tighten the default confinement: no-new-privileges, the default AppArmor profile,
// and SELinux user, role and level labels. A seccomp profile replaces the default one; label=disable,
// label=type:spc_t and apparmor=unconfined remove confinement.
Denial security_opt(const Json& v, const Context&) {
  for (const auto& item : v.items) {
    std::string_view opt = item.text;
    if (opt == "no-new-privileges") continue;
    size_t sep = opt.find('=');
    if (sep == std::string_view::npos) sep = opt.find(':');
    std::string_view key = sep == std::string_view::npos ? opt : opt.substr(0, sep);
    std::string_view value = sep == std::string_view::npos ? std::string_view() : opt.substr(sep + 1);
    bool ok = (key == "no-new-privileges") || (key == "apparmor" && value == "docker-default") ||
              (key == "label" &&
               (value.starts_with("user:") || value.starts_with("role:") || value.starts_with("level:")));
    if (!ok) {
      return "has " + quoted(opt) +
             " (allowed: no-new-privileges, apparmor=docker-default, label=user:, label=role:, label=level:)";
    }
  }
  return std::nullopt;
}

namespace {
// A non-empty list replaces the engine's defaults (daemon/oci_linux.go): every default must stay. What an
// engine stored holds its own defaults, which before engine 25.0 lacked /sys/devices/virtual/powercap (a
// power-use side channel, not host access): such a list is the engine's and passes.
Denial keeps_defaults(const Json& v, const std::vector<std::string_view>& defaults, const Context& c) {
  if (v.items.empty()) return std::nullopt;  // [] is refused by the row's zero-value rule below
  for (auto path : defaults) {
    if (c.engine_state && path == "/sys/devices/virtual/powercap") continue;
    if (std::none_of(v.items.begin(), v.items.end(), [&](const Json& i) { return i.text == path; })) {
      return "drops the engine's default " + quoted(path) + " (a list replaces the defaults: keep them all)";
    }
  }
  return std::nullopt;
}
}  // namespace

Denial masked_paths(const Json& v, const Context& c) {
  if (v.kind == Kind::array && v.items.empty()) return "is empty, which unmasks the kernel's paths";
  return keeps_defaults(v, default_masked_paths(), c);
}

Denial readonly_paths(const Json& v, const Context& c) {
  if (v.kind == Kind::array && v.items.empty()) return "is empty, which makes /proc/sys and others writable";
  return keeps_defaults(v, default_readonly_paths(), c);
}

// runc applies only namespaced sysctls (libcontainer/configs/validate): the IPC ones, fs.mqueue.* and,
// in a network namespace of the container's own, net.*. Names are refused unless plainly spelled.
Denial sysctls(const Json& v, const Context&) {
  static constexpr std::array<std::string_view, 8> kIpc = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const auto& m : v.members) {
    std::string_view name = m.key;
    bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    }) && name.find("..") == std::string_view::npos;
    bool namespaced = one_of(name, kIpc) || name.starts_with("fs.mqueue.") || name.starts_with("net.");
    if (!plain || !namespaced) return "sets " + quoted(name) + ", which is not a namespaced sysctl";
  }
  return std::nullopt;
}

// The runtimes the engine lists for runc (GET /info "Runtimes"); another runtime is whatever the host's
// administrator configured under that name.
Denial runtime(const Json& v, const Context&) {
  return one_of_allowed(v, {"", "runc", "io.containerd.runc.v2"}, "another runtime may not confine at all");
}

// Log drivers that write where the engine keeps logs; the others send a container's output to addresses
// (syslog-address, fluentd-address, gelf-address: any host socket) that the request names.
Denial log_driver(const Json& v, const Context&) {
  return one_of_allowed(v, {"", "json-file", "local", "journald", "none"},
                        "other log drivers send output to addresses the request names");
}

Denial log_options(const Json& v, const Context&) {
  static constexpr std::array<std::string_view, 10> kKnown = {
      "max-size", "max-file",  "compress", "labels", "labels-regex",
      "env",      "env-regex", "tag",      "mode",   "max-buffer-size"};
  for (const auto& m : v.members) {
    if (!one_of(m.key, kKnown)) return "sets " + quoted(m.key) + ", which is not a known local log option";
  }
  return std::nullopt;
}

Denial volume_driver(const Json& v, const Context&) {
  return one_of_allowed(v, {"", "local"}, "a volume plugin is whatever its installer made it");
}

// volume/local: with options, the local driver mounts `device` with `type` and the `o` options. A bind
// (o=bind) or a block device (type=ext4, device=/dev/sda1) hands over host files; tmpfs and NFS do not.
Denial volume_options(const Json& v, const Context&) {
  static constexpr std::array<std::string_view, 4> kKeys = {"type", "o", "device", "size"};
  static constexpr std::array<std::string_view, 3> kTypes = {"tmpfs", "nfs", "nfs4"};
  if (v.members.empty()) return std::nullopt;
  std::string_view type, options;
  for (const auto& m : v.members) {
    if (!one_of(m.key, kKeys))
      return "sets " + quoted(m.key) + " (the local driver knows type, o, device, size)";
    if (m.key == "type") type = m.value.text;
    if (m.key == "o") options = m.value.text;
  }
  if (!one_of(type, kTypes)) {
    return "mounts a file system of type " + quoted(type) + " (allowed: tmpfs, nfs, nfs4)";
  }
  while (!options.empty()) {
    size_t comma = options.find(',');
    std::string_view opt = options.substr(0, comma);
    options = comma == std::string_view::npos ? std::string_view() : options.substr(comma + 1);
    if (opt.find('=') != std::string_view::npos || one_of(opt, kSafeMountFlags)) continue;
    if (type != "tmpfs" && !one_of(opt, kOtherMountFlags) && !opt.empty()) continue;  // an NFS option
    return "has mount option " + quoted(opt) + ", which the engine would apply to the host's mount";
  }
  return std::nullopt;
}

namespace {
// One tmpfs mount option: a size or ownership value, or a flag that only restricts the mount.
bool tmpfs_option_allowed(std::string_view opt) {
  static constexpr std::array<std::string_view, 6> kData = {"size", "mode",      "uid",
                                                            "gid",  "nr_inodes", "nr_blocks"};
  if (size_t eq = opt.find('='); eq != std::string_view::npos) return one_of(opt.substr(0, eq), kData);
  return opt.empty() || one_of(opt, kSafeMountFlags);
}
}  // namespace

// HostConfig.Tmpfs ({"/run": "size=64m,noexec"}): the engine hands the options to runc as the mount's own,
// and "bind" or "rbind" among them makes runc bind-mount a host path where a tmpfs was asked for.
Denial tmpfs(const Json& v, const Context&) {
  for (const auto& m : v.members) {
    std::string_view options = m.value.text;
    while (true) {
      size_t comma = options.find(',');
      std::string_view opt = options.substr(0, comma);
      if (!tmpfs_option_allowed(opt)) {
        return "has option " + quoted(opt) + " for " + quoted(m.key) +
               " (allowed: size, mode, uid, gid, nr_inodes, nr_blocks and flags that restrict, such as "
               "noexec)";
      }
      if (comma == std::string_view::npos) break;
      options.remove_prefix(comma + 1);
    }
  }
  return std::nullopt;
}

// mount.TmpfsOptions.Options (API 1.46): [["noexec"], ["size", "64m"]], under the same rule.
Denial tmpfs_options(const Json& v, const Context&) {
  for (const auto& option : v.items) {
    if (option.items.empty() || option.items.size() > 2)
      return std::string("has an option that is not [name] or [name, value]");
    std::string_view name = option.items[0].text;
    bool ok = option.items.size() == 2
                  ? tmpfs_option_allowed(std::string(name) + "=" + std::string(option.items[1].text))
                  : tmpfs_option_allowed(name);
    if (!ok) return "has option " + quoted(name) + " (allowed: size, mode, uid, gid and flags that restrict)";
  }
  return std::nullopt;
}

Denial storage_opt(const Json& v, const Context&) {
  for (const auto& m : v.members) {
    if (m.key != "size") return "sets " + quoted(m.key) + " (allowed: size)";
  }
  return std::nullopt;
}

// macvlan and ipvlan put containers on a host interface's own network; a plugin driver is whatever its
// installer made it.
Denial network_driver(const Json& v, const Context&) {
  return one_of_allowed(v, {"", "bridge", "overlay"}, "other drivers attach containers to host interfaces");
}

Denial network_options(const Json& v, const Context&) {
  static constexpr std::array<std::string_view, 5> kKnown = {
      "com.docker.network.bridge.enable_icc", "com.docker.network.bridge.enable_ip_masquerade",
      "com.docker.network.bridge.host_binding_ipv4", "com.docker.network.driver.mtu",
      "com.docker.network.bridge.inhibit_ipv4"};
  for (const auto& m : v.members) {
    if (!one_of(m.key, kKnown)) {
      return "sets " + quoted(m.key) + ", which is not among the bridge options a sandboxed role may set";
    }
  }
  return std::nullopt;
}

Denial ipam_driver(const Json& v, const Context&) {
  return one_of_allowed(v, {"", "default"}, "an IPAM plugin is whatever its installer made it");
}

// swarm.RuntimeType: "plugin" installs a managed plugin with the privileges its spec grants.
Denial task_runtime(const Json& v, const Context&) {
  return one_of_allowed(v, {"", "container"}, "a plugin task runs with the privileges its spec grants");
}

Denial selinux_type(const Json& v, const Context&) {
  return one_of_allowed(v, {"", "container_t"}, "another SELinux type may be unconfined (spc_t)");
}

Denial swarm_confinement(const Json& v, const Context&) {
  return one_of_allowed(v, {"", "default"}, "the task would run without the default profile");
}

}  // namespace dockgate::authz::bodies::checks
