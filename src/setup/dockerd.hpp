// dockerd's own remote access, configured the way the seed tutorials intend and checked the way dockerd
// checks it: listeners and TLS files in /etc/docker/daemon.json and a docker.service drop-in that clears
// ExecStart= and repeats it without -H (daemon.json "hosts" plus a -H flag stop dockerd from starting), or
// the CoreOS way: a docker-tcp.socket unit that systemd listens on and passes to dockerd.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "setup/host.hpp"
#include "setup/unit_file.hpp"

namespace dockgate::setup {

inline constexpr const char* kDaemonJson = "/etc/docker/daemon.json";
inline constexpr const char* kDockerDropInName = "dockgate-remote.conf";
inline constexpr const char* kDockerDropIn = "/etc/systemd/system/docker.service.d/dockgate-remote.conf";
inline constexpr const char* kDockerTcpSocket = "/etc/systemd/system/docker-tcp.socket";

// What a dockerd command line sets, for the parts setup and the lint care about.
struct DockerdFlags {
  std::vector<std::string> kept;   // the command line without listeners (-H) and TLS flags
  std::vector<std::string> hosts;  // -H values
  // Every daemon.json key the command line sets ("hosts", "tlsverify", "data-root", ...), with the flag
  // as written, for dockerd's flag-versus-file conflict check.
  std::map<std::string, std::string> keys;
  bool tls = false, tlsverify = false;  // --tls / --tlsverify given and true
};

DockerdFlags parse_dockerd_flags(const std::vector<std::string>& argv);

// dockerd's daemon.json: nullopt when the file does not exist. Throws Error with the line and column of a
// syntax error, or when the top level is not an object.
std::optional<nlohmann::ordered_json> read_daemon_json(const Host& host);

// The keys set both by flags and in daemon.json, as dockerd's findConfigurationConflicts() reports them.
std::vector<std::string> conflicting_keys(const DockerdFlags& flags, const nlohmann::ordered_json& config);

// docker.service as systemd will run it: its command line with EnvironmentFile variables expanded.
struct DockerdUnit {
  Service service;
  std::vector<std::string> argv;           // as written in ExecStart=
  std::vector<std::string> expanded_argv;  // with $DOCKER_OPTS and the like substituted
};
// Throws Error when there is no docker.service or it has no ExecStart=.
DockerdUnit load_dockerd_unit(const Host& host, const std::string& ignore_drop_in = "");

struct DockerdSetup {
  std::vector<std::string> hosts;  // -H values; empty: the unit's unix socket plus tcp://0.0.0.0:2376
  std::string certs_dir;           // a `dockgate certs` directory: ca.pem, server-cert.pem, server-key.pem
  bool socket_unit = false;        // docker-tcp.socket instead of daemon.json "hosts"
  bool tls = true;
  bool allow_insecure_tcp = false;
};

// Works out every file to write. Throws Error, with nothing planned, when the host's configuration cannot
// be merged safely: a broken daemon.json (with its position), a unit systemd would refuse, DOCKER_OPTS
// that sets listeners, a flag that daemon.json also sets, missing or mismatched TLS files, or plain TCP
// on an address that is not loopback without allow_insecure_tcp.
SetupResult plan_dockerd(const Host& host, const DockerdSetup& setup);

}  // namespace dockgate::setup
