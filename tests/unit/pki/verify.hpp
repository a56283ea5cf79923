// Test helper: verifies a leaf against a CA (and optionally a CRL) the way an OpenSSL TLS peer would.
#pragma once

#include <openssl/x509_vfy.h>

namespace dockgate::pki::testing {

// X509_V_OK, or the X509_V_ERR_* code of the first failure.
inline int verify(X509* ca, X509* leaf, int purpose, X509_CRL* crl = nullptr) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  if (crl != nullptr) {
    X509_STORE_add_crl(store, crl);
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  int result = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return result;
}

}  // namespace dockgate::pki::testing
