// Who is on the other end of a connection, as far as the gateway can tell: the verified client certificate
// for TLS, the peer's credentials for a unix socket. A light value type; authorization (issue 4) reads it.
#pragma once

#include <string>

struct x509_st;

namespace dockgate::tls {

struct Identity {
  std::string common_name;  // the client certificate's CN; empty without one
  std::string serial;       // its serial in hex
  std::string peer;         // the peer address: "127.0.0.1:53412", "[::1]:4711", "unix uid=1000"

  // "CN=alice serial=5f3a..." or the peer alone: how logs name a connection.
  std::string text() const;
};

// Fills common_name and serial from a verified certificate.
void describe_certificate(const x509_st* cert, Identity& identity);

}  // namespace dockgate::tls
