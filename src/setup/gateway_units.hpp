// `dockgate serve` as a system service: dockgate.socket (systemd listens, so the port is open from boot
// and the gateway can restart without refusing a single connection), dockgate.service (Type=notify,
// sandboxed), its config file and its state directory.
#pragma once

#include <string>
#include <vector>

#include "setup/host.hpp"

namespace dockgate::setup {

inline constexpr const char* kGatewayService = "/etc/systemd/system/dockgate.service";
inline constexpr const char* kGatewaySocket = "/etc/systemd/system/dockgate.socket";
inline constexpr const char* kGatewayConfig = "/etc/dockgate/dockgate.json";
inline constexpr const char* kGatewayStateDir = "/var/lib/dockgate";

struct GatewaySetup {
  std::vector<std::string> hosts;  // tcp:// or unix:// addresses for ListenStream=; empty: port 2376 on all
  std::string binary;              // the dockgate executable the service runs
};

// Throws Error when an address cannot be a ListenStream=, the binary sits where the sandbox hides it, or
// an existing config file is broken or sets listeners of its own.
SetupResult plan_gateway(const Host& host, const GatewaySetup& setup);

}  // namespace dockgate::setup
