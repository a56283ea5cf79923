// The -H/--host grammar of dockerd: where a daemon listens. Parsing and normalisation follow moby's
// opts/hosts.go (ParseHost, ParseTCPAddr) and keep its error texts, so that an address dockerd accepts means
// the same here and one it rejects is rejected with the words people search for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dockgate::config {

constexpr std::uint16_t kPlainPort = 2375;  // IANA "docker"
constexpr std::uint16_t kTlsPort = 2376;    // IANA "docker-s"
constexpr std::string_view kDefaultUnixSocket = "/var/run/docker.sock";
constexpr std::string_view kDefaultTcpHost = "localhost";

struct ListenAddress {
  enum class Kind { tcp, unix_socket, fd };
  Kind kind = Kind::tcp;
  std::string host;        // tcp: a name or an IP address, without brackets
  std::uint16_t port = 0;  // tcp
  std::string path;        // unix
  std::string fd;          // fd: "" for every socket passed in, a number, or a LISTEN_FDNAMES name

  // The normalised form dockerd prints: tcp://host:port (IPv6 in brackets), unix:///path, fd://...
  std::string text() const;
};

// Parses one -H value. `tls` picks the default port for a TCP address without one: 2376 with TLS, 2375
// without. (dockerd uses 2375 for a TCP address without a port even with TLS, and 2376 only for an empty
// -H; a gateway that always speaks TLS by default would surprise people with 2375.) An empty value is the
// default address: tcp://localhost:2376 with TLS, unix:///var/run/docker.sock without.
// Throws Error with dockerd's message, e.g. "invalid bind address (ftp://x): unsupported proto 'ftp'".
ListenAddress parse_listen_address(std::string_view value, bool tls);

// Whether a TCP host is certainly loopback: "localhost", 127.0.0.0/8 or ::1. Any other name is not,
// since it may resolve anywhere.
bool is_loopback_host(std::string_view host);

}  // namespace dockgate::config
