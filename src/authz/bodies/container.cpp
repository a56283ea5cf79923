// The bodies of POST /containers/create and /containers/{id}/update: moby's runconfig.ContainerConfigWrapper
// (container.Config, HostConfig, NetworkingConfig, and HostConfig's fields again at the top level, which
// the engine still reads) and container.UpdateConfig. Rows follow the Go structs' order
// (api/types/container/config.go, host_config.go, api/types/mount, api/types/network).
#include "authz/bodies/tables.hpp"

namespace dockgate::authz::bodies {
namespace {

using W = Wire;
namespace c = checks;

constexpr Shape kEmpty{"struct {}", {}};

constexpr std::array kHealthConfigFields = {
    ok("Test", W::string_list),    ok("Interval", W::integer), ok("Timeout", W::integer),
    ok("StartPeriod", W::integer), ok("Retries", W::integer),  since(ok("StartInterval", W::integer), "1.44"),
};

constexpr std::array kConfigFields = {
    ok("Hostname", W::string),
    ok("Domainname", W::string),
    ok("User", W::string),
    ok("AttachStdin", W::boolean),
    ok("AttachStdout", W::boolean),
    ok("AttachStderr", W::boolean),
    ok("ExposedPorts", W::object_map, &kEmpty),
    ok("Tty", W::boolean),
    ok("OpenStdin", W::boolean),
    ok("StdinOnce", W::boolean),
    ok("Env", W::string_list),
    ok("Cmd", W::string_or_list),
    ok("Healthcheck", W::object, &kHealthConfig),
    ok("ArgsEscaped", W::boolean),
    ok("Image", W::string),
    ok("Volumes", W::object_map, &kEmpty),
    ok("WorkingDir", W::string),
    ok("Entrypoint", W::string_or_list),
    ok("NetworkDisabled", W::boolean),
    ok("MacAddress", W::string),
    ok("OnBuild", W::string_list),
    ok("Labels", W::string_map),
    ok("StopSignal", W::string),
    ok("StopTimeout", W::integer),
    ok("Shell", W::string_or_list),
};

constexpr std::array kLogConfigFields = {
    checked("Type", W::string, c::log_driver, "a log driver that sends output elsewhere"),
    checked("Config", W::string_map, c::log_options, "log options that name addresses"),
};
constexpr Shape kLogConfig{"container.LogConfig", kLogConfigFields};

constexpr std::array kPortBindingFields = {ok("HostIp", W::string), ok("HostPort", W::string)};
constexpr Shape kPortBinding{"nat.PortBinding", kPortBindingFields};

constexpr std::array kRestartPolicyFields = {ok("Name", W::string), ok("MaximumRetryCount", W::integer)};
constexpr Shape kRestartPolicy{"container.RestartPolicy", kRestartPolicyFields};

constexpr std::array kWeightDeviceFields = {ok("Path", W::string), ok("Weight", W::unsigned_integer)};
constexpr Shape kWeightDevice{"blkiodev.WeightDevice", kWeightDeviceFields};
constexpr std::array kThrottleDeviceFields = {ok("Path", W::string), ok("Rate", W::unsigned_integer)};
constexpr Shape kThrottleDevice{"blkiodev.ThrottleDevice", kThrottleDeviceFields};

constexpr std::array kDeviceMappingFields = {ok("PathOnHost", W::string), ok("PathInContainer", W::string),
                                             ok("CgroupPermissions", W::string)};
constexpr Shape kDeviceMapping{"container.DeviceMapping", kDeviceMappingFields};
constexpr std::array kDeviceRequestFields = {
    ok("Driver", W::string), ok("Count", W::integer), ok("DeviceIDs", W::string_list),
    ok("Capabilities", W::string_list_list), ok("Options", W::string_map)};
constexpr Shape kDeviceRequest{"container.DeviceRequest", kDeviceRequestFields};

constexpr std::array kUlimitFields = {ok("Name", W::string), ok("Hard", W::integer), ok("Soft", W::integer)};

constexpr std::string_view kDevices = "hands a host device to the container";

constexpr std::array kResourcesFields = {
    ok("CpuShares", W::integer),
    ok("Memory", W::integer),
    ok("NanoCpus", W::integer),
    no("CgroupParent", W::string, "places the container in a cgroup of the host's choosing"),
    ok("BlkioWeight", W::unsigned_integer),
    ok("BlkioWeightDevice", W::object_list, &kWeightDevice),
    ok("BlkioDeviceReadBps", W::object_list, &kThrottleDevice),
    ok("BlkioDeviceWriteBps", W::object_list, &kThrottleDevice),
    ok("BlkioDeviceReadIOps", W::object_list, &kThrottleDevice),
    ok("BlkioDeviceWriteIOps", W::object_list, &kThrottleDevice),
    ok("CpuPeriod", W::integer),
    ok("CpuQuota", W::integer),
    ok("CpuRealtimePeriod", W::integer),
    ok("CpuRealtimeRuntime", W::integer),
    ok("CpusetCpus", W::string),
    ok("CpusetMems", W::string),
    Field{"Devices", W::object_list, Verdict::refused, nullptr, &kDeviceMapping, kDevices, {}},
    no("DeviceCgroupRules", W::string_list, "lets the container open host devices"),
    Field{"DeviceRequests", W::object_list, Verdict::refused, nullptr, &kDeviceRequest, kDevices, {}},
    ok("KernelMemory", W::integer),
    ok("KernelMemoryTCP", W::integer),
    ok("MemoryReservation", W::integer),
    ok("MemorySwap", W::integer),
    ok("MemorySwappiness", W::integer),
    ok("OomKillDisable", W::boolean),
    ok("PidsLimit", W::integer),
    ok("Ulimits", W::object_list, &kUlimit),
    ok("CpuCount", W::integer),
    ok("CpuPercent", W::integer),
    ok("IOMaximumIOps", W::unsigned_integer),
    ok("IOMaximumBandwidth", W::unsigned_integer),
};

// api/types/mount.
constexpr std::array kBindOptionsFields = {
    ok("Propagation", W::string),
    ok("NonRecursive", W::boolean),
    since(ok("CreateMountpoint", W::boolean), "1.42"),
    since(ok("ReadOnlyNonRecursive", W::boolean), "1.44"),
    since(ok("ReadOnlyForceRecursive", W::boolean), "1.44"),
};
constexpr Shape kBindOptions{"mount.BindOptions", kBindOptionsFields};
constexpr std::array kDriverFields = {
    checked("Name", W::string, c::volume_driver, "a volume plugin"),
    checked("Options", W::string_map, c::volume_options, "local volume options that mount host files"),
};
constexpr Shape kVolumeDriver{"mount.Driver", kDriverFields};
constexpr std::array kVolumeOptionsFields = {
    ok("NoCopy", W::boolean),
    ok("Labels", W::string_map),
    ok("DriverConfig", W::object, &kVolumeDriver),
    since(ok("Subpath", W::string), "1.45"),
};
constexpr Shape kVolumeOptions{"mount.VolumeOptions", kVolumeOptionsFields};
constexpr std::array kTmpfsOptionsFields = {
    ok("SizeBytes", W::integer),
    ok("Mode", W::unsigned_integer),
    since(checked("Options", W::string_list_list, c::tmpfs_options, "mount options that bind host paths"),
          "1.46"),
};
constexpr Shape kTmpfsOptions{"mount.TmpfsOptions", kTmpfsOptionsFields};
constexpr std::array kMountFields = {
    ok("Type", W::string),  // decided with Source by the shape's whole check
    ok("Source", W::string),
    ok("Target", W::string),
    ok("ReadOnly", W::boolean),
    ok("Consistency", W::string),
    ok("BindOptions", W::object, &kBindOptions),
    ok("VolumeOptions", W::object, &kVolumeOptions),
    ok("TmpfsOptions", W::object, &kTmpfsOptions),
};

constexpr std::string_view kShares = "shares a namespace of the host or of another container";

constexpr std::array kHostConfigOwnFields = {
    checked("Binds", W::string_list, c::binds, "bind-mounts host paths"),
    ok("ContainerIDFile", W::string),
    ok("LogConfig", W::object, &kLogConfig),
    checked("NetworkMode", W::string, c::network_mode, "the host's or another container's network"),
    ok("PortBindings", W::object_list_map, &kPortBinding),
    ok("RestartPolicy", W::object, &kRestartPolicy),
    ok("AutoRemove", W::boolean),
    checked("VolumeDriver", W::string, c::volume_driver, "a volume plugin"),
    no("VolumesFrom", W::string_list, "takes another container's mounts, which may be host paths"),
    checked("CapAdd", W::string_or_list, c::cap_add, "capabilities beyond the engine's defaults"),
    ok("CapDrop", W::string_or_list),
    checked("CgroupnsMode", W::string, c::cgroupns_mode, "an unknown cgroup namespace mode"),
    ok("Dns", W::string_list),
    ok("DnsOptions", W::string_list),
    ok("DnsSearch", W::string_list),
    ok("ExtraHosts", W::string_list),
    ok("GroupAdd", W::string_list),
    checked("IpcMode", W::string, c::ipc_mode, kShares),
    no("Cgroup", W::string, "joins another container's cgroup"),
    ok("Links", W::string_list),
    ok("OomScoreAdj", W::integer),
    checked("PidMode", W::string, c::private_namespace, kShares),
    no("Privileged", W::boolean, "gives the container every capability and every host device"),
    ok("PublishAllPorts", W::boolean),
    ok("ReadonlyRootfs", W::boolean),
    checked("SecurityOpt", W::string_list, c::security_opt, "options that remove confinement"),
    checked("StorageOpt", W::string_map, c::storage_opt, "storage driver options"),
    checked("Tmpfs", W::string_map, c::tmpfs, "mount options that bind host paths"),
    checked("UTSMode", W::string, c::private_namespace, kShares),
    checked("UsernsMode", W::string, c::private_namespace, "leaves the engine's user namespace remapping"),
    ok("ShmSize", W::integer),
    checked("Sysctls", W::string_map, c::sysctls, "kernel settings that are not namespaced"),
    checked("Runtime", W::string, c::runtime, "an OCI runtime that may not confine"),
    ok("ConsoleSize", W::unsigned_list),
    ok("Isolation", W::string),
};
constexpr std::array kHostConfigTailFields = {
    ok("Mounts", W::object_list, &kMount),
    checked("MaskedPaths", W::string_list, c::masked_paths, "unmasks kernel paths"),
    checked("ReadonlyPaths", W::string_list, c::readonly_paths, "makes kernel paths writable"),
    ok("Init", W::boolean),
    since(no("Annotations", W::string_map, "OCI annotations, which runtimes may act on"), "1.43"),
};
constexpr auto kHostConfigFields =
    concat(concat(kHostConfigOwnFields, kResourcesFields), kHostConfigTailFields);

// api/types/network.
constexpr std::array kEndpointIPAMConfigFields = {ok("IPv4Address", W::string), ok("IPv6Address", W::string),
                                                  ok("LinkLocalIPs", W::string_list)};
constexpr Shape kEndpointIPAMConfig{"network.EndpointIPAMConfig", kEndpointIPAMConfigFields};
constexpr std::array kEndpointSettingsFields = {
    ok("IPAMConfig", W::object, &kEndpointIPAMConfig),
    ok("Links", W::string_list),
    ok("Aliases", W::string_list),
    no("NetworkID", W::string,
       "the network to look up instead of the one the endpoint's name says (the host's, by its ID)"),
    ok("EndpointID", W::string),
    ok("Gateway", W::string),
    ok("IPAddress", W::string),
    ok("IPPrefixLen", W::integer),
    ok("IPv6Gateway", W::string),
    ok("GlobalIPv6Address", W::string),
    ok("GlobalIPv6PrefixLen", W::integer),
    ok("MacAddress", W::string),
    no("DriverOpts", W::string_map, "network driver options, which later engines apply as sysctls"),
    since(ok("GwPriority", W::integer), "1.48"),
    since(ok("DNSNames", W::string_list), "1.44"),
};
constexpr Shape kEndpointSettings{"network.EndpointSettings", kEndpointSettingsFields};
constexpr std::array kNetworkingConfigFields = {
    ok("EndpointsConfig", W::object_map, &kEndpointSettings),
};
constexpr Shape kNetworkingConfig{"network.NetworkingConfig", kNetworkingConfigFields, c::endpoints_config};

constexpr std::array kWrapperFields = {
    ok("HostConfig", W::object, &kHostConfig),
    ok("Cpuset", W::string),
    ok("NetworkingConfig", W::object, &kNetworkingConfig),
};
// The engine reads HostConfig's fields at the top level too, when no "HostConfig" holds them: judged alike.
constexpr auto kContainerCreateFields = concat(concat(kConfigFields, kWrapperFields), kHostConfigFields);

constexpr std::array kUpdateOwnFields = {ok("RestartPolicy", W::object, &kRestartPolicy)};
constexpr auto kContainerUpdateFields = concat(kResourcesFields, kUpdateOwnFields);

}  // namespace

constexpr Shape kHostConfig{"container.HostConfig", kHostConfigFields};
constexpr Shape kHealthConfig{"container.HealthConfig", kHealthConfigFields};
constexpr Shape kUlimit{"units.Ulimit", kUlimitFields};
constexpr Shape kMount{"mount.Mount", kMountFields, c::mount};
constexpr Shape kContainerCreate{"runconfig.ContainerConfigWrapper", kContainerCreateFields};
constexpr Shape kContainerUpdate{"container.UpdateConfig", kContainerUpdateFields};

const Shape& host_config() {
  return kHostConfig;
}

}  // namespace dockgate::authz::bodies
