// Who is on the other end of a connection, as far as the gateway can tell: the verified client certificate
// for TLS, the peer's credentials for a unix socket. A light value type that authorization reads.
#pragma once

#include <string>
#include <vector>

struct x509_st;

namespace dockgate::tls {

struct Identity {
  std::string common_name;          // the client certificate's CN; empty without one
  std::string serial;               // its serial in hex
  std::string fingerprint;          // SHA-256 of the certificate, colon-separated hex
  std::vector<std::string> groups;  // from URI SANs urn:dockgate:group:NAME (`certs issue client --group`)
  std::vector<std::string> organizational_units, dns_names, uris, emails;
  std::string peer;    // the peer address: "127.0.0.1:53412", "[::1]:4711", "unix uid=1000 pid=42"
  bool local = false;  // came over a unix socket: guarded by file permissions, no certificate

  // "CN=alice serial=5F3A... peer=..." or the peer alone: how logs name a connection.
  std::string text() const;
};

// Fills the certificate fields from a verified certificate.
void describe_certificate(const x509_st* cert, Identity& identity);

}  // namespace dockgate::tls
