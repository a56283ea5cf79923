// The bodies of exec, volume and network creation: types.ExecConfig (api/types/configs.go),
// volume.VolumeCreateBody (api/types/volume) and types.NetworkCreateRequest (api/types/types.go,
// api/types/network), rows in the Go structs' order.
#include "authz/bodies/tables.hpp"

namespace dockgate::authz::bodies {
namespace {

using W = Wire;
namespace c = checks;

// A command run in a container the role may already run commands in: as root too (docker run -u root is
// allowed alike), but not with every capability and device.
constexpr std::array kExecFields = {
    ok("User", W::string),
    no("Privileged", W::boolean, "runs the command with every capability and every host device"),
    ok("Tty", W::boolean),
    ok("AttachStdin", W::boolean),
    ok("AttachStderr", W::boolean),
    ok("AttachStdout", W::boolean),
    ok("Detach", W::boolean),
    ok("DetachKeys", W::string),
    ok("Env", W::string_list),
    ok("WorkingDir", W::string),
    ok("Cmd", W::string_list),
    since(ok("ConsoleSize", W::unsigned_list), "1.42"),
    since(ok("Container", W::string), "-"),  // docker-py sends it; no engine since API 1.24 reads it
};

constexpr std::array kVolumeCreateFields = {
    checked("Driver", W::string, c::volume_driver, "a volume plugin"),
    checked("DriverOpts", W::string_map, c::volume_options, "local volume options that mount host files"),
    ok("Labels", W::string_map),
    ok("Name", W::string),
    since(no("ClusterVolumeSpec", W::object, "a cluster volume, driven by a CSI plugin"), "1.42"),
};

constexpr std::array kIPAMConfigFields = {ok("Subnet", W::string), ok("IPRange", W::string),
                                          ok("Gateway", W::string), ok("AuxiliaryAddresses", W::string_map)};
constexpr Shape kIPAMConfig{"network.IPAMConfig", kIPAMConfigFields};
constexpr std::array kIPAMFields = {
    checked("Driver", W::string, c::ipam_driver, "an IPAM plugin"),
    ok("Options", W::string_map),
    ok("Config", W::object_list, &kIPAMConfig),
};
constexpr Shape kIPAM{"network.IPAM", kIPAMFields};
constexpr std::array kConfigReferenceFields = {ok("Network", W::string)};
constexpr Shape kConfigReference{"network.ConfigReference", kConfigReferenceFields};

constexpr std::array kNetworkCreateFields = {
    ok("CheckDuplicate", W::boolean),
    checked("Driver", W::string, c::network_driver, "a driver that attaches containers to host interfaces"),
    ok("Scope", W::string),
    ok("EnableIPv6", W::boolean),
    ok("IPAM", W::object, &kIPAM),
    ok("Internal", W::boolean),
    ok("Attachable", W::boolean),
    no("Ingress", W::boolean, "replaces the swarm's routing-mesh network"),
    ok("ConfigOnly", W::boolean),
    Field{"ConfigFrom",
          W::object,
          Verdict::refused,
          nullptr,
          &kConfigReference,
          "takes its driver and options from a network an administrator configured",
          {}},
    checked("Options", W::string_map, c::network_options, "driver options that name host interfaces"),
    ok("Labels", W::string_map),
    ok("Name", W::string),
    since(ok("EnableIPv4", W::boolean), "1.47"),
};

}  // namespace

constexpr Shape kExecCreate{"types.ExecConfig", kExecFields};
constexpr Shape kVolumeCreate{"volume.VolumeCreateBody", kVolumeCreateFields};
constexpr Shape kNetworkCreate{"types.NetworkCreateRequest", kNetworkCreateFields};

}  // namespace dockgate::authz::bodies
