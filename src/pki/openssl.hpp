// Owning handles for the OpenSSL objects the PKI code passes around, and the one way to turn OpenSSL's
// error queue into text for a person.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace dockgate::pki {

template <auto free_fn>
struct Free {
  template <class T>
  void operator()(T* p) const {
    free_fn(p);
  }
};

using PKey = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Free<X509_free>>;
using Crl = std::unique_ptr<X509_CRL, Free<X509_CRL_free>>;
using Bio = std::unique_ptr<BIO, Free<BIO_free_all>>;
using BigNum = std::unique_ptr<BIGNUM, Free<BN_free>>;
using Asn1Int = std::unique_ptr<ASN1_INTEGER, Free<ASN1_INTEGER_free>>;
using Asn1Time = std::unique_ptr<ASN1_TIME, Free<ASN1_TIME_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, Free<X509_EXTENSION_free>>;

// Drains OpenSSL's error queue of this thread and returns its reasons, most specific last; "" if empty.
std::string openssl_errors();

// A read-only memory BIO over `text`, which is not copied and must outlive the BIO.
Bio bio_from(const std::string& text);

// Everything written to a memory BIO.
std::string bio_text(BIO* bio);

}  // namespace dockgate::pki
