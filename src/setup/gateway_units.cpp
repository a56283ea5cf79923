// The gateway's units. The sandbox keeps root's uid (so that the engine socket, root:docker 0660, and the
// root-owned keys `dockgate certs` writes stay readable) but drops every capability: a compromised gateway
// can reach the engine, which it must, and little else.
#include "setup/gateway_units.hpp"

#include "config/json_file.hpp"
#include "config/listen_address.hpp"
#include "config/settings.hpp"
#include "error.hpp"
#include "setup/unit_file.hpp"

namespace dockgate::setup {

namespace {

const char* const kServiceTemplate = R"([Unit]
Description=dockgate: mutual-TLS gateway to the Docker Engine API
Documentation=https://github.com/dockgate/dockgate
Requires=dockgate.socket
After=dockgate.socket docker.service
Wants=docker.service

[Service]
Type=notify
NotifyAccess=main
ExecStart=@BINARY@ serve --config-file @CONFIG@
ExecReload=/bin/kill -HUP $MAINPID
Environment=DOCKGATE_STATE_DIR=@STATE@
StateDirectory=dockgate
StateDirectoryMode=0700
ConfigurationDirectory=dockgate
UMask=0077
Restart=on-failure
# serve drains requests in flight for up to 10 s on SIGTERM.
TimeoutStopSec=15
LimitNOFILE=65536

# Sandbox. The engine socket is root:docker 0660 and the keys are root's, so the uid stays 0, without a
# single capability; listening sockets come from dockgate.socket.
CapabilityBoundingSet=
AmbientCapabilities=
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service

[Install]
WantedBy=multi-user.target
Also=dockgate.socket
)";

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

}  // namespace

SetupResult plan_gateway(const Host& host, const GatewaySetup& setup) {
  SetupResult r;
  for (const char* hidden : {"/home/", "/root/", "/tmp/", "/var/tmp/", "/run/user/"}) {
    if (setup.binary.starts_with(hidden)) {
      throw Error("--binary " + setup.binary + ": the service's sandbox (ProtectHome, PrivateTmp) hides " +
                  std::string(hidden) +
                  ", so systemd could not run it; install dockgate first (cmake --install build, or copy it "
                  "to /usr/local/bin) and pass --binary");
    }
  }
  if (setup.binary.empty() || setup.binary[0] != '/') {
    throw Error("--binary " + setup.binary + ": give the absolute path of the dockgate executable");
  }

  std::string socket =
      "# Written by `dockgate setup gateway`. systemd holds the listening socket: it is open from boot,\n"
      "# and connections wait in its queue while the gateway restarts instead of being refused.\n"
      "[Unit]\nDescription=dockgate: mutual-TLS gateway to the Docker Engine API (listening socket)\n\n"
      "[Socket]\n";
  if (setup.hosts.empty()) {
    socket += "ListenStream=2376\nBindIPv6Only=both\n";
  } else {
    for (const auto& h : setup.hosts)
      socket += "ListenStream=" + listen_stream(config::parse_listen_address(h, true)) + "\n";
  }
  socket += "NoDelay=true\nSocketMode=0660\n\n[Install]\nWantedBy=sockets.target\n";

  std::string service = replace_all(kServiceTemplate, "@BINARY@", setup.binary);
  service = replace_all(service, "@CONFIG@", kGatewayConfig);
  service = replace_all(service, "@STATE@", kGatewayStateDir);
  service = "# Written by `dockgate setup gateway`.\n" + service;

  // The config: listeners come from the socket unit; anything else a person put there stays.
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  std::string where = std::string(kGatewayConfig) + ": ";
  if (auto text = host.read(kGatewayConfig)) {
    config = config::parse_ordered_json_text(*text, where);
    config::parse_config_file(*text, kGatewayConfig);  // unknown keys and wrong types, named
    if (config.contains("hosts") && config["hosts"] != nlohmann::ordered_json::array({"fd://"})) {
      throw Error(where + "\"hosts\" is " + config["hosts"].dump() +
                  "; under systemd the gateway listens on what dockgate.socket passes it (fd://): move those "
                  "addresses to -H of `dockgate setup gateway` and remove \"hosts\"");
    }
  }
  config["hosts"] = nlohmann::ordered_json::array({"fd://"});
  if (!config.contains("audit-log")) config["audit-log"] = "journal";

  r.plan.write(host, kGatewaySocket, socket, 0644);
  r.plan.write(host, kGatewayService, service, 0644);
  r.plan.write(host, kGatewayConfig, config.dump(2) + "\n", 0644, /*backup=*/true);
  r.plan.make_dir(host, kGatewayStateDir, 0700);
  r.next_commands = {"systemctl daemon-reload", "systemctl enable --now dockgate.socket dockgate.service"};
  r.notes.push_back("the gateway forwards to unix:///var/run/docker.sock and keeps its PKI in " +
                    std::string(kGatewayStateDir) + " (created on first start if empty)");
  return r;
}

}  // namespace dockgate::setup
