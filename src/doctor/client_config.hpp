// How a docker client would connect, worked out the way the docker CLI does it (docker/cli
// cli/flags/options.go, cli/context/docker/load.go): -H or DOCKER_HOST or a context; TLS from --tls,
// --tlsverify or DOCKER_TLS_VERIFY (any non-empty value); files from --tlscacert/--tlscert/--tlskey or
// DOCKER_CERT_PATH (default ~/.docker). Also what `dockgate client` writes contexts and bundles for.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dockgate::doctor {

// What the command line gave; unset fields fall back to the environment, then to the CLI's defaults.
struct ClientFlags {
  std::optional<std::string> host, context;
  bool tls = false, tlsverify = false;
  std::optional<std::string> tlscacert, tlscert, tlskey;
};

struct ClientConfig {
  std::string host;           // tcp://HOST:PORT or unix:///path, normalised
  std::string host_source;    // "-H", "DOCKER_HOST", "context NAME", "default"
  bool tls = false;           // speak TLS
  bool verify = false;        // verify the server's certificate against `ca`
  std::string ca, cert, key;  // empty when not used (a missing default file is simply not used)
  std::string tls_source;     // where TLS settings came from, for the report
  // REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE as set ("NAME=VALUE"): python-requests (docker-py,
  // docker-compose) trusts them instead of the CA of DOCKER_CERT_PATH.
  std::vector<std::string> python_ca_overrides;
};

using Environment = std::function<std::optional<std::string>(const std::string&)>;

// The environment of this process.
Environment process_environment();

// The docker config directory: $DOCKER_CONFIG, else ~/.docker.
std::string docker_config_dir(const Environment& env);

// Resolves the configuration. Throws Error for a context that does not exist or cannot be read.
ClientConfig resolve_client_config(const ClientFlags& flags, const Environment& env);

// The directory of a docker context's metadata and of its TLS files, as the CLI names them (by the
// SHA-256 of the context name).
std::string context_id(const std::string& name);

}  // namespace dockgate::doctor
