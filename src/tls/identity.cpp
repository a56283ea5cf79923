// Identity from a client certificate.
#include "tls/identity.hpp"

#include <openssl/x509.h>

#include <utility>

#include "pki/certificate.hpp"

namespace dockgate::tls {

std::string Identity::text() const {
  if (common_name.empty()) return peer;
  return "CN=" + common_name + " serial=" + serial + " peer=" + peer;
}

void describe_certificate(const x509_st* cert, Identity& identity) {
  pki::Holder holder = pki::describe_holder(const_cast<X509*>(cert));
  identity.common_name = std::move(holder.common_name);
  identity.serial = std::move(holder.serial);
  identity.fingerprint = std::move(holder.sha256_fingerprint);
  identity.groups = std::move(holder.groups);
  identity.organizational_units = std::move(holder.organizational_units);
  identity.dns_names = std::move(holder.dns_names);
  identity.uris = std::move(holder.uris);
  identity.emails = std::move(holder.emails);
}

}  // namespace dockgate::tls
