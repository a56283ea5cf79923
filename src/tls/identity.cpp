// Identity from a client certificate.
#include "tls/identity.hpp"

#include <openssl/x509.h>

#include "pki/certificate.hpp"

namespace dockgate::tls {

std::string Identity::text() const {
  if (common_name.empty()) return peer;
  return "CN=" + common_name + " serial=" + serial + " peer=" + peer;
}

void describe_certificate(const x509_st* cert, Identity& identity) {
  pki::CertInfo info = pki::describe_certificate(const_cast<X509*>(cert));
  identity.common_name = info.common_name;
  identity.serial = info.serial;
  identity.fingerprint = info.sha256_fingerprint;
  identity.groups = info.groups;
  identity.organizational_units = info.organizational_units;
  identity.dns_names = info.dns_names;
  identity.uris = info.uris;
  identity.emails = info.emails;
}

}  // namespace dockgate::tls
