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
  const X509_NAME* subject = X509_get_subject_name(cert);
  char cn[256] = {};
  if (X509_NAME_get_text_by_NID(subject, NID_commonName, cn, sizeof cn) > 0) identity.common_name = cn;
  identity.serial = pki::serial_hex(X509_get0_serialNumber(cert));
}

}  // namespace dockgate::tls
