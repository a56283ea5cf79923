// Rule text for each firewall. Each is checked by its own tool in the tests (nft -c, ufw --dry-run,
// firewalld's rich-rule parser), never applied there.
#include "setup/firewall.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "error.hpp"

namespace dockgate::setup {

Firewall parse_firewall(const std::string& name) {
  if (name == "ufw") return Firewall::ufw;
  if (name == "firewalld") return Firewall::firewalld;
  if (name == "nftables" || name == "nft") return Firewall::nftables;
  throw UsageError("--backend " + name + ": choose ufw, firewalld or nftables");
}

Network parse_network(const std::string& value) {
  std::string addr = value;
  int prefix = -1;
  if (size_t slash = value.find('/'); slash != std::string::npos) {
    addr = value.substr(0, slash);
    std::string p = value.substr(slash + 1);
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos) {
      throw UsageError("--from " + value + ": the prefix length after / must be a number");
    }
    prefix = std::stoi(p);
  }
  std::array<unsigned char, 16> bytes{};
  bool v6 = addr.find(':') != std::string::npos;
  if (::inet_pton(v6 ? AF_INET6 : AF_INET, addr.c_str(), bytes.data()) != 1) {
    throw UsageError("--from " + value +
                     ": not an IP address or network (examples: 10.0.0.0/8, 192.0.2.7, 2001:db8::/32)");
  }
  const int bits = v6 ? 128 : 32;
  if (prefix < 0) prefix = bits;
  if (prefix > bits)
    throw UsageError("--from " + value + ": the prefix length is at most " + std::to_string(bits));
  // Bits past the prefix must be zero: "10.1.2.3/16" is either a typo or a misunderstanding, and each
  // firewall would read it differently.
  for (int i = prefix; i < bits; ++i) {
    if ((bytes[static_cast<size_t>(i / 8)] >> (7 - i % 8)) & 1) {
      std::array<unsigned char, 16> masked = bytes;
      for (int j = prefix; j < bits; ++j)
        masked[static_cast<size_t>(j / 8)] &= static_cast<unsigned char>(~(1u << (7 - j % 8)));
      char text[INET6_ADDRSTRLEN] = {};
      ::inet_ntop(v6 ? AF_INET6 : AF_INET, masked.data(), text, sizeof text);
      std::string msg = "--from " + value + ": has host bits set past /" + std::to_string(prefix);
      msg += "; did you mean ";
      msg += text;
      msg += "/" + std::to_string(prefix) + ", or the single address " + addr + "?";
      throw UsageError(msg);
    }
  }
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof text);
  return {text, prefix, v6};
}

namespace {

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    if (w.find_first_of(" \"") == std::string::npos) {
      out += w;
    } else if (size_t eq = w.find('='); w.starts_with("--") && eq != std::string::npos) {
      out += w.substr(0, eq + 1) + "'" + w.substr(eq + 1) + "'";  // --add-rich-rule='rule ...'
    } else {
      out += "'" + w + "'";
    }
  }
  return out;
}

std::string elements(const std::vector<Network>& from, bool v6) {
  std::string out;
  for (const auto& n : from) {
    if (n.ipv6 != v6) continue;
    out += (out.empty() ? "" : ", ") + n.text();
  }
  return out;
}

}  // namespace

FirewallRules firewall_rules(Firewall backend, const std::vector<Network>& from, std::uint16_t port) {
  if (from.empty()) {
    throw UsageError(
        "name the networks that may connect with --from CIDR (repeatable); --from 0.0.0.0/0 --from ::/0 "
        "opens "
        "the port to everyone, which the certificates alone then guard");
  }
  FirewallRules r;
  const std::string p = std::to_string(port);
  switch (backend) {
    case Firewall::ufw:
      r.text = "# ufw: allow TCP " + p + " from these networks only (ufw's default policy denies the rest)\n";
      for (const auto& n : from) {
        r.commands.push_back({"ufw", "allow", "proto", "tcp", "from", n.text(), "to", "any", "port", p,
                              "comment", "dockgate"});
      }
      break;
    case Firewall::firewalld:
      r.text = "# firewalld: a rich rule per network in the default zone, which leaves " + p +
               " closed to everyone else\n";
      for (const auto& n : from) {
        std::string rule = "rule family=\"" + std::string(n.ipv6 ? "ipv6" : "ipv4") + "\" source address=\"" +
                           n.text() + "\" port port=\"" + p + "\" protocol=\"tcp\" accept";
        r.commands.push_back({"firewall-cmd", "--permanent", "--add-rich-rule=" + rule});
      }
      r.commands.push_back({"firewall-cmd", "--reload"});
      break;
    case Firewall::nftables: {
      // A table of our own, replaced as a whole on every run: declaring it first makes the delete succeed
      // even when it does not exist yet, so loading the file twice gives the same ruleset.
      std::string v4 = elements(from, false), v6 = elements(from, true);
      std::string& s = r.ruleset;
      s = "# dockgate: TCP " + p + " from the listed networks and loopback only\n";
      s += "table inet dockgate\ndelete table inet dockgate\n\ntable inet dockgate {\n";
      if (!v4.empty())
        s += "  set allowed_v4 {\n    type ipv4_addr\n    flags interval\n    elements = { " + v4 +
             " }\n  }\n\n";
      if (!v6.empty())
        s += "  set allowed_v6 {\n    type ipv6_addr\n    flags interval\n    elements = { " + v6 +
             " }\n  }\n\n";
      s += "  chain input {\n    type filter hook input priority filter - 1; policy accept;\n";
      s += "    iif \"lo\" tcp dport " + p + " accept\n";
      if (!v4.empty()) s += "    ip saddr @allowed_v4 tcp dport " + p + " accept\n";
      if (!v6.empty()) s += "    ip6 saddr @allowed_v6 tcp dport " + p + " accept\n";
      s += "    tcp dport " + p + " counter drop\n  }\n}\n";
      r.commands.push_back({"nft", "-f", "/etc/nftables.d/dockgate.nft"});
      // Printed as an nft file (nothing but comments and rules), so that it can be redirected to one.
      r.text =
          "# nftables: save as /etc/nftables.d/dockgate.nft, load it with\n"
          "#   nft -f /etc/nftables.d/dockgate.nft\n"
          "# and add  include \"/etc/nftables.d/dockgate.nft\"  to /etc/nftables.conf so that it survives a\n"
          "# reboot. An accept here does not override a drop in another table: if your own input chain "
          "drops\n"
          "# by default, allow the port there too.\n" +
          s;
      return r;
    }
  }
  std::string cmds;
  for (const auto& c : r.commands) cmds += join(c) + "\n";
  r.text += cmds;
  return r;
}

}  // namespace dockgate::setup
