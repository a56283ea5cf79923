// The named checks the body tables use, each deciding one field (or one object) of a judged body. Each
// allows what is known to keep a container inside the engine's default confinement and refuses the rest,
// saying what the value would hand over. The values reach a check already of the right JSON kind.
#pragma once

#include <string_view>
#include <vector>

#include "authz/bodies/schema.hpp"

namespace dockgate::authz::bodies::checks {

Denial binds(const Json& v, const Context& c);              // HostConfig.Binds
Denial mount(const Json& v, const Context& c);              // a mount.Mount object, whole
Denial network_mode(const Json& v, const Context& c);       // HostConfig.NetworkMode
Denial endpoints_config(const Json& v, const Context& c);   // NetworkingConfig, whole: the networks' names
Denial network_target(const Json& v, const Context& c);     // swarm.NetworkAttachmentConfig.Target
Denial ipc_mode(const Json& v, const Context& c);           // HostConfig.IpcMode
Denial private_namespace(const Json& v, const Context& c);  // PidMode, UTSMode, UsernsMode: only ""
Denial cgroupns_mode(const Json& v, const Context& c);      // HostConfig.CgroupnsMode
Denial cap_add(const Json& v, const Context& c);            // CapAdd, CapabilityAdd
Denial security_opt(const Json& v, const Context& c);       // HostConfig.SecurityOpt
Denial masked_paths(const Json& v, const Context& c);       // HostConfig.MaskedPaths
Denial readonly_paths(const Json& v, const Context& c);     // HostConfig.ReadonlyPaths
Denial sysctls(const Json& v, const Context& c);            // Sysctls
Denial runtime(const Json& v, const Context& c);            // HostConfig.Runtime
Denial log_driver(const Json& v, const Context& c);         // LogConfig.Type, swarm.Driver.Name (logs)
Denial log_options(const Json& v, const Context& c);        // LogConfig.Config, swarm.Driver.Options (logs)
Denial volume_driver(const Json& v, const Context& c);      // a volume's driver: local only
Denial volume_options(const Json& v, const Context& c);     // the local driver's options
Denial tmpfs(const Json& v, const Context& c);              // HostConfig.Tmpfs
Denial tmpfs_options(const Json& v, const Context& c);      // mount.TmpfsOptions.Options
Denial storage_opt(const Json& v, const Context& c);        // HostConfig.StorageOpt
Denial network_driver(const Json& v, const Context& c);     // NetworkCreate.Driver
Denial network_options(const Json& v, const Context& c);    // NetworkCreate.Options
Denial ipam_driver(const Json& v, const Context& c);        // IPAM.Driver
Denial task_runtime(const Json& v, const Context& c);       // swarm.TaskSpec.Runtime
Denial selinux_type(const Json& v, const Context& c);       // swarm.SELinuxContext.Type
Denial swarm_confinement(const Json& v, const Context& c);  // swarm Seccomp and AppArmor modes

// `path` without the slashes that end it ("/" stays "/").
std::string_view without_trailing_slashes(std::string_view path);

// Whether `path` is absolute with no . or .. component, which the host would resolve and a comparison of
// text would not.
bool plain_absolute(std::string_view path);

// Whether a host path is one of the role's bind prefixes itself (trailing slashes aside), refusing any path
// with . or .. components (which the host would resolve, and we do not). A prefix is bound whole: a path
// inside one is refused, since a container that can write into a bound prefix can make any path inside it
// a symlink to anywhere on the host, which the engine would follow when it mounts that path.
bool bind_allowed(std::string_view source, const std::vector<std::string>& bind_prefixes);

// The role's bind prefix that a host path lies inside (not equal to), if any: what a refusal names.
std::optional<std::string> prefix_containing(std::string_view source,
                                             const std::vector<std::string>& bind_prefixes);

// The engine's default lists (moby oci/defaults.go, with the later engines' additions): what a sandboxed
// container's masked and read-only paths must keep.
const std::vector<std::string_view>& default_masked_paths();
const std::vector<std::string_view>& default_readonly_paths();

}  // namespace dockgate::authz::bodies::checks
