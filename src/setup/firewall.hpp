// Firewall rules that open the gateway's (or dockerd's) TLS port to named source networks only, for the
// three firewalls Docker hosts run: ufw (Ubuntu), firewalld (RPM distributions) and plain nftables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dockgate::setup {

enum class Firewall { ufw, firewalld, nftables };

// "ufw", "firewalld" or "nftables"; throws Error naming --backend otherwise.
Firewall parse_firewall(const std::string& name);

// A source network: an IPv4 or IPv6 address with an optional prefix length, normalised ("10.1.0.0/16",
// "2001:db8::/32"; a bare address gets /32 or /128). Throws Error naming --from and the value when it is
// not one, or when it has bits set past its prefix (10.1.2.3/16 is a typo for 10.1.0.0/16 or for a host).
struct Network {
  std::string address;  // normalised, without the prefix
  int prefix;
  bool ipv6;
  std::string text() const { return address + "/" + std::to_string(prefix); }
};
Network parse_network(const std::string& value);

struct FirewallRules {
  // The commands to run, one per line, as a person would type them (ufw, firewall-cmd); for nftables, a
  // single `nft -f FILE` applying `ruleset`.
  std::vector<std::vector<std::string>> commands;
  std::string ruleset;  // nftables only: the rules, for nft -f
  std::string text;     // everything above, printable, with comments saying what it does
};

// Rules letting `from` (at least one network) reach TCP `port`. For nftables, a table of its own
// ("inet dockgate") that accepts those networks and loopback on the port and drops everyone else.
FirewallRules firewall_rules(Firewall backend, const std::vector<Network>& from, std::uint16_t port);

}  // namespace dockgate::setup
