// This machine's own names and addresses, for server certificates that must match how clients dial it.
#pragma once

#include <string>
#include <vector>

namespace dockgate::net {

// The host name (gethostname) and every address of every interface that is up, loopback included, without
// IPv6 link-local addresses (they need a zone and cannot be dialled by name). No DNS look-up is made.
std::vector<std::string> local_names_and_addresses();

}  // namespace dockgate::net
