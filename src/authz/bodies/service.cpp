// The body of POST /services/create and /services/{id}/update: swarm.ServiceSpec down to the container
// it runs (api/types/swarm), rows in the Go structs' order. A task's container gets the same checks as
// one created directly: mounts, capabilities, sysctls, networks, log driver.
#include "authz/bodies/tables.hpp"

namespace dockgate::authz::bodies {
namespace {

using W = Wire;
namespace c = checks;

constexpr Shape kGlobal{"swarm.GlobalService", {}};
constexpr Shape kGlobalJob{"swarm.GlobalJob", {}};

constexpr std::array kCredentialSpecFields = {ok("Config", W::string), ok("File", W::string),
                                              ok("Registry", W::string)};
constexpr Shape kCredentialSpec{"swarm.CredentialSpec", kCredentialSpecFields};
constexpr std::array kSELinuxContextFields = {
    no("Disable", W::boolean, "turns SELinux confinement off"),
    ok("User", W::string),
    ok("Role", W::string),
    checked("Type", W::string, c::selinux_type, "an SELinux type that may be unconfined"),
    ok("Level", W::string),
};
constexpr Shape kSELinuxContext{"swarm.SELinuxContext", kSELinuxContextFields};
constexpr std::array kSeccompFields = {
    checked("Mode", W::string, c::swarm_confinement, "a task without the default seccomp profile"),
    no("Profile", W::string, "replaces the default seccomp profile"),
};
constexpr Shape kSeccompOpts{"swarm.SeccompOpts", kSeccompFields};
constexpr std::array kAppArmorFields = {
    checked("Mode", W::string, c::swarm_confinement, "a task without the default AppArmor profile"),
};
constexpr Shape kAppArmorOpts{"swarm.AppArmorOpts", kAppArmorFields};
constexpr std::array kPrivilegesFields = {
    ok("CredentialSpec", W::object, &kCredentialSpec),
    ok("SELinuxContext", W::object, &kSELinuxContext),
    since(ok("Seccomp", W::object, &kSeccompOpts), "1.44"),
    since(ok("AppArmor", W::object, &kAppArmorOpts), "1.44"),
    since(ok("NoNewPrivileges", W::boolean), "1.44"),
};
constexpr Shape kPrivileges{"swarm.Privileges", kPrivilegesFields};

constexpr std::array kDNSConfigFields = {ok("Nameservers", W::string_list), ok("Search", W::string_list),
                                         ok("Options", W::string_list)};
constexpr Shape kDNSConfig{"swarm.DNSConfig", kDNSConfigFields};

constexpr std::string_view kSecrets =
    "hands the task a secret or config, which sandboxed roles may not read (secret.read, config.read)";

constexpr std::array kContainerSpecFields = {
    ok("Image", W::string),
    ok("Labels", W::string_map),
    ok("Command", W::string_list),
    ok("Args", W::string_list),
    ok("Hostname", W::string),
    ok("Env", W::string_list),
    ok("Dir", W::string),
    ok("User", W::string),
    ok("Groups", W::string_list),
    ok("Privileges", W::object, &kPrivileges),
    ok("Init", W::boolean),
    ok("StopSignal", W::string),
    ok("TTY", W::boolean),
    ok("OpenStdin", W::boolean),
    ok("ReadOnly", W::boolean),
    ok("Mounts", W::object_list, &kMount),
    ok("StopGracePeriod", W::integer),
    ok("Healthcheck", W::object, &kHealthConfig),
    ok("Hosts", W::string_list),
    ok("DNSConfig", W::object, &kDNSConfig),
    no("Secrets", W::object_list, kSecrets),
    no("Configs", W::object_list, kSecrets),
    ok("Isolation", W::string),
    checked("Sysctls", W::string_map, c::sysctls, "kernel settings that are not namespaced"),
    checked("CapabilityAdd", W::string_list, c::cap_add, "capabilities beyond the engine's defaults"),
    ok("CapabilityDrop", W::string_list),
    ok("Ulimits", W::object_list, &kUlimit),
    since(ok("OomScoreAdj", W::integer), "1.46"),
};
constexpr Shape kContainerSpec{"swarm.ContainerSpec", kContainerSpecFields};

constexpr std::array kLimitFields = {ok("NanoCPUs", W::integer), ok("MemoryBytes", W::integer),
                                     ok("Pids", W::integer)};
constexpr Shape kLimit{"swarm.Limit", kLimitFields};
constexpr std::array kNamedGenericFields = {ok("Kind", W::string), ok("Value", W::string)};
constexpr Shape kNamedGeneric{"swarm.NamedGenericResource", kNamedGenericFields};
constexpr std::array kDiscreteGenericFields = {ok("Kind", W::string), ok("Value", W::integer)};
constexpr Shape kDiscreteGeneric{"swarm.DiscreteGenericResource", kDiscreteGenericFields};
constexpr std::array kGenericResourceFields = {ok("NamedResourceSpec", W::object, &kNamedGeneric),
                                               ok("DiscreteResourceSpec", W::object, &kDiscreteGeneric)};
constexpr Shape kGenericResource{"swarm.GenericResource", kGenericResourceFields};
constexpr std::array kResourcesFields = {ok("NanoCPUs", W::integer), ok("MemoryBytes", W::integer),
                                         ok("GenericResources", W::object_list, &kGenericResource)};
constexpr Shape kResources{"swarm.Resources", kResourcesFields};
constexpr std::array kRequirementsFields = {ok("Limits", W::object, &kLimit),
                                            ok("Reservations", W::object, &kResources)};
constexpr Shape kRequirements{"swarm.ResourceRequirements", kRequirementsFields};

constexpr std::array kRestartPolicyFields = {ok("Condition", W::string), ok("Delay", W::integer),
                                             ok("MaxAttempts", W::unsigned_integer),
                                             ok("Window", W::integer)};
constexpr Shape kRestartPolicy{"swarm.RestartPolicy", kRestartPolicyFields};

constexpr std::array kSpreadOverFields = {ok("SpreadDescriptor", W::string)};
constexpr Shape kSpreadOver{"swarm.SpreadOver", kSpreadOverFields};
constexpr std::array kPreferenceFields = {ok("Spread", W::object, &kSpreadOver)};
constexpr Shape kPreference{"swarm.PlacementPreference", kPreferenceFields};
constexpr std::array kPlatformFields = {ok("Architecture", W::string), ok("OS", W::string)};
constexpr Shape kPlatform{"swarm.Platform", kPlatformFields};
constexpr std::array kPlacementFields = {
    ok("Constraints", W::string_list), ok("Preferences", W::object_list, &kPreference),
    ok("MaxReplicas", W::unsigned_integer), ok("Platforms", W::object_list, &kPlatform)};
constexpr Shape kPlacement{"swarm.Placement", kPlacementFields};

constexpr std::array kNetworkAttachmentFields = {
    checked("Target", W::string, c::network_target, "the host's network"),
    ok("Aliases", W::string_list),
    no("DriverOpts", W::string_map, "network driver options"),
};
constexpr Shape kNetworkAttachment{"swarm.NetworkAttachmentConfig", kNetworkAttachmentFields};

constexpr std::array kLogDriverFields = {
    checked("Name", W::string, c::log_driver, "a log driver that sends output elsewhere"),
    checked("Options", W::string_map, c::log_options, "log options that name addresses"),
};
constexpr Shape kLogDriver{"swarm.Driver", kLogDriverFields};

constexpr std::array kTaskSpecFields = {
    ok("ContainerSpec", W::object, &kContainerSpec),
    no("PluginSpec", W::object, "installs a managed plugin with the privileges its spec grants"),
    no("NetworkAttachmentSpec", W::object, "attaches another container to networks"),
    ok("Resources", W::object, &kRequirements),
    ok("RestartPolicy", W::object, &kRestartPolicy),
    ok("Placement", W::object, &kPlacement),
    ok("Networks", W::object_list, &kNetworkAttachment),
    ok("LogDriver", W::object, &kLogDriver),
    ok("ForceUpdate", W::unsigned_integer),
    checked("Runtime", W::string, c::task_runtime, "a plugin task"),
};
constexpr Shape kTaskSpec{"swarm.TaskSpec", kTaskSpecFields};

constexpr std::array kReplicatedFields = {ok("Replicas", W::unsigned_integer)};
constexpr Shape kReplicated{"swarm.ReplicatedService", kReplicatedFields};
constexpr std::array kReplicatedJobFields = {ok("MaxConcurrent", W::unsigned_integer),
                                             ok("TotalCompletions", W::unsigned_integer)};
constexpr Shape kReplicatedJob{"swarm.ReplicatedJob", kReplicatedJobFields};
constexpr std::array kModeFields = {
    ok("Replicated", W::object, &kReplicated), ok("Global", W::object, &kGlobal),
    ok("ReplicatedJob", W::object, &kReplicatedJob), ok("GlobalJob", W::object, &kGlobalJob)};
constexpr Shape kMode{"swarm.ServiceMode", kModeFields};

constexpr std::array kUpdateConfigFields = {ok("Parallelism", W::unsigned_integer), ok("Delay", W::integer),
                                            ok("FailureAction", W::string),         ok("Monitor", W::integer),
                                            ok("MaxFailureRatio", W::number),       ok("Order", W::string)};
constexpr Shape kUpdateConfig{"swarm.UpdateConfig", kUpdateConfigFields};

constexpr std::array kPortConfigFields = {
    ok("Name", W::string), ok("Protocol", W::string), ok("TargetPort", W::unsigned_integer),
    ok("PublishedPort", W::unsigned_integer), ok("PublishMode", W::string)};
constexpr Shape kPortConfig{"swarm.PortConfig", kPortConfigFields};
constexpr std::array kEndpointSpecFields = {ok("Mode", W::string), ok("Ports", W::object_list, &kPortConfig)};
constexpr Shape kEndpointSpec{"swarm.EndpointSpec", kEndpointSpecFields};

constexpr std::array kServiceSpecFields = {
    ok("Name", W::string),
    ok("Labels", W::string_map),
    ok("TaskTemplate", W::object, &kTaskSpec),
    ok("Mode", W::object, &kMode),
    ok("UpdateConfig", W::object, &kUpdateConfig),
    ok("RollbackConfig", W::object, &kUpdateConfig),
    ok("Networks", W::object_list, &kNetworkAttachment),
    ok("EndpointSpec", W::object, &kEndpointSpec),
};

}  // namespace

constexpr Shape kServiceSpec{"swarm.ServiceSpec", kServiceSpecFields};

}  // namespace dockgate::authz::bodies
