// The -H grammar (unix://, tcp://, fd://, host:port, IPv6 in brackets) on arbitrary text, with and without
// TLS: it yields an address or throws Error, and an address's text parses back to itself.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/listen_address.hpp"
#include "error.hpp"

using namespace dockgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  for (bool tls : {true, false}) {
    try {
      config::ListenAddress address = config::parse_listen_address(text, tls);
      (void)config::is_loopback_host(address.host);
      config::ListenAddress again = config::parse_listen_address(address.text(), tls);
      if (again.text() != address.text()) std::abort();
    } catch (const Error&) {
    }
  }
  return 0;
}
