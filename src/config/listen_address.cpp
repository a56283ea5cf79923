// -H parsing, after moby's opts/hosts.go.
#include "config/listen_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "error.hpp"

namespace dockgate::config {
namespace {

std::string trim(std::string_view s) {
  auto first = std::find_if_not(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
  auto last = std::find_if_not(s.rbegin(), s.rend(), [](unsigned char c) { return std::isspace(c); }).base();
  return first < last ? std::string(first, last) : std::string();
}

Error bind_error(std::string_view value, const std::string& why) {
  return Error("invalid bind address (" + std::string(value) + "): " + why);
}

ListenAddress parse_tcp(std::string_view value, std::string_view rest, bool tls) {
  ListenAddress a;
  a.kind = ListenAddress::Kind::tcp;
  a.host = std::string(kDefaultTcpHost);
  a.port = tls ? kTlsPort : kPlainPort;
  if (rest.find("://") != std::string_view::npos) {
    throw bind_error(value, "unsupported proto '" + std::string(rest.substr(0, rest.find("://"))) + "'");
  }
  // Everything after the authority is a path, a query or a fragment: dockerd refuses paths.
  size_t end = rest.find_first_of("/?#");
  if (end != std::string_view::npos) {
    if (rest[end] == '/') throw bind_error(value, "should not contain a path element");
    rest = rest.substr(0, end);
  }
  std::string_view host = rest;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) throw bind_error(value, "missing ']' in host");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw bind_error(value, "unexpected text after ']'");
      port = after.substr(1);
    }
    unsigned char buf[16];
    std::string h(host);
    if (::inet_pton(AF_INET6, h.c_str(), buf) != 1) throw bind_error(value, "invalid IPv6 address " + h);
  } else {
    size_t colon = rest.rfind(':');
    if (colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
      if (host.find(':') != std::string_view::npos) {
        throw bind_error(value, "an IPv6 address must be in brackets, as in tcp://[::1]:2376");
      }
    }
  }
  if (!host.empty()) a.host = std::string(host);
  if (!port.empty()) {
    if (!std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
        port.size() > 5) {
      throw bind_error(value, "invalid port: " + std::string(port));
    }
    unsigned long p = std::stoul(std::string(port));
    if (p == 0 || p > 65535) throw bind_error(value, "invalid port: " + std::string(port));
    a.port = static_cast<std::uint16_t>(p);
  }
  return a;
}

}  // namespace

std::string ListenAddress::text() const {
  switch (kind) {
    case Kind::tcp:
      return "tcp://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
             std::to_string(port);
    case Kind::unix_socket:
      return "unix://" + path;
    case Kind::fd:
      return "fd://" + fd;
  }
  return "";
}

ListenAddress parse_listen_address(std::string_view raw, bool tls) {
  std::string value = trim(raw);
  if (value.empty()) {
    return tls ? parse_tcp(value, "", true)
               : ListenAddress{ListenAddress::Kind::unix_socket, "", 0, std::string(kDefaultUnixSocket), ""};
  }
  size_t sep = value.find("://");
  std::string proto = sep == std::string::npos ? "tcp" : value.substr(0, sep);
  std::string_view rest =
      sep == std::string::npos ? std::string_view(value) : std::string_view(value).substr(sep + 3);

  if (proto == "tcp") return parse_tcp(value, rest, tls);
  if (proto == "unix") {
    if (rest.find("://") != std::string_view::npos)
      throw Error("invalid proto, expected unix: " + std::string(rest));
    ListenAddress a;
    a.kind = ListenAddress::Kind::unix_socket;
    a.path = rest.empty() ? std::string(kDefaultUnixSocket) : std::string(rest);
    if (a.path.front() != '/') throw bind_error(value, "a unix socket path must be absolute");
    return a;
  }
  if (proto == "fd") {
    ListenAddress a;
    a.kind = ListenAddress::Kind::fd;
    a.fd = std::string(rest);
    return a;
  }
  throw bind_error(value, "unsupported proto '" + proto + "'");
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  std::string h(host);
  unsigned char buf[16];
  if (::inet_pton(AF_INET, h.c_str(), buf) == 1) return buf[0] == 127;
  if (::inet_pton(AF_INET6, h.c_str(), buf) == 1) {
    in6_addr addr{};
    std::copy(buf, buf + 16, addr.s6_addr);
    return IN6_IS_ADDR_LOOPBACK(&addr);
  }
  return false;
}

}  // namespace dockgate::config
