// The names that go into certificates: server host names and IP addresses (told apart automatically),
// client names, and the groups a client certificate carries for the authorization layer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dockgate::pki {

struct HostName {
  enum class Kind { dns, ip };
  Kind kind;
  std::string value;  // canonical: DNS names lower-case without a trailing dot, IPs as inet_ntop prints them

  bool operator==(const HostName&) const = default;
};

// Parses a --host value: an IPv4 or IPv6 address (brackets allowed) or a DNS name (a leading "*." label is
// allowed for wildcard certificates). Throws Error naming `flag` and the value when it is neither.
HostName parse_host(std::string_view text, std::string_view flag = "--host");

// Client and server names become the certificate's CN and a directory name under --dir: 1 to 64
// characters of letters, digits and . _ @ -, not starting with . or -. Throws Error naming `what`.
void check_entity_name(std::string_view name, std::string_view what);

// Group names: 1 to 64 characters of letters, digits and . _ -. Throws Error naming the --group value.
void check_group_name(std::string_view group);

// Groups are written as URI SANs of this form, which Go's x509 parser (dockerd, the docker CLI) accepts
// and the authorization layer reads back.
std::string group_uri(std::string_view group);
std::optional<std::string> group_from_uri(std::string_view uri);

}  // namespace dockgate::pki
