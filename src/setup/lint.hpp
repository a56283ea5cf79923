// `dockgate setup check`: the host as it is, read the way dockerd and systemd will read it, with every
// pitfall of the seed tutorials named together with its fix.
#pragma once

#include <string>
#include <vector>

#include "setup/host.hpp"

namespace dockgate::setup {

struct Finding {
  enum class Severity { error, warning };
  Severity severity;
  std::string where;  // a file (with :line when known), a unit or an address
  std::string what;
  std::string fix;
};

struct CheckInputs {
  // This machine's names and addresses, which a server certificate must cover. Empty: the host name in
  // /etc/hostname under the root, plus (on the live system) every interface address.
  std::vector<std::string> names;
  // Extra `dockgate certs` directories to check besides /var/lib/dockgate and the files dockerd and the
  // gateway are configured with.
  std::vector<std::string> cert_dirs;
};

std::vector<Finding> check_host(const Host& host, const CheckInputs& inputs);

// A TCP listener from /proc/net/tcp or /proc/net/tcp6.
struct TcpListener {
  std::string address;  // "0.0.0.0", "::", "10.0.0.5"
  unsigned port;
  unsigned long inode;
};
// Parses the text of /proc/net/tcp (ipv6 = false) or tcp6 (ipv6 = true), keeping sockets in LISTEN.
std::vector<TcpListener> parse_proc_net_tcp(const std::string& text, bool ipv6);

}  // namespace dockgate::setup
