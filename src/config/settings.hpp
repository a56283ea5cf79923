// The settings of `dockgate serve`: dockerd's directives for listening and TLS (same names on the command
// line and in the JSON config file), plus dockgate's own. Flags and file combine as in dockerd
// (daemon/config/config.go): a directive given in both places is an error, never a silent override.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/listen_address.hpp"

namespace dockgate::config {

struct Settings {
  std::vector<std::string> hosts;          // -H/--host, "hosts"; as given, parsed by listen_addresses()
  std::optional<bool> tls;                 // --tls, "tls"; unset means on
  std::optional<bool> tlsverify;           // --tlsverify, "tlsverify"; implies tls
  std::string tlscacert, tlscert, tlskey;  // "" when not configured
  std::string tlscrl;                      // --tlscrl, "tlscrl": revoked client certificates (dockgate's own)
  std::string group = "docker";            // -G/--group, "group": owner group of unix sockets
  std::string upstream = "unix:///var/run/docker.sock";  // --upstream, "upstream": the engine
  bool allow_insecure_tcp = false;                       // --allow-insecure-tcp, "allow-insecure-tcp"
  std::string policy;     // --policy, "policy": who may do what ("" = all admin)
  std::string audit_log;  // --audit-log, "audit-log": a file, "-" (stdout) or "journal"; "" for none

  bool tls_enabled() const { return tlsverify.value_or(false) || tls.value_or(true); }
  // Unlike dockerd, `--tls` alone verifies clients too; only an explicit --tlsverify=false turns it off.
  bool verify_clients() const { return tls_enabled() && tlsverify.value_or(true); }
};

// Directives as JSON values keyed by their config-file name ("hosts", "tls", ...): what the command line
// set explicitly, or what a config file holds.
using Directives = nlohmann::json;

// The config-file names of every directive, in the order dockerd reports conflicts (by flag name).
const std::vector<std::string>& directive_names();

// Parses a config file. Throws Error naming `path` and: the line and column of a syntax error; every key
// that matches no directive; a key whose value has the wrong type.
Directives parse_config_file(const std::string& text, const std::string& path);

// Combines the two sources. Throws Error in dockerd's words when a directive is in both:
// "the following directives are specified both as a flag and in the configuration file: hosts: (from
// flag: [tcp://0.0.0.0:2376], from file: [unix:///var/run/docker.sock])".
Settings merge(const Directives& flags, const Directives& file);

// The one rule for TCP off loopback: refused without TLS or without verifying clients, unless
// allow_insecure_tcp (anyone who can connect gets root). `name` is the address as the error gives it; for a
// socket from systemd, `tcp` and `loopback` are what the socket itself says once adopted.
void check_exposure(const Settings& settings, const std::string& name, bool tcp, bool loopback);

// Every listen address, parsed with the TLS-dependent default port; the default address when none is set.
// Each is held to check_exposure: Docker warned for years that plain TCP hands root to the network, and
// never stopped it.
std::vector<ListenAddress> listen_addresses(const Settings& settings);

}  // namespace dockgate::config
