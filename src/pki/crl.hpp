// Certificate revocation lists: reading the entries of the current crl.pem and signing a new one.
//
// dockgate's CRL is read from local disk by the gateway, never fetched, so it is valid (nextUpdate) until the
// CA itself expires: an outdated CRL would otherwise make OpenSSL refuse every client. It is re-signed on
// every revocation, with an incremented CRL number.
#pragma once

#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "pki/certificate.hpp"
#include "pki/openssl.hpp"

namespace dockgate::pki {

struct Revocation {
  std::string serial;  // upper-case hex
  std::time_t when = 0;
};

struct CrlContents {
  long number = 0;
  std::vector<Revocation> revoked;
};

// Parses a PEM CRL read from `path` and checks it is signed by `ca`. Throws Error naming the path.
Crl crl_from_pem(const std::string& pem, const std::filesystem::path& path, X509* ca);
std::string crl_to_pem(X509_CRL* crl);

CrlContents crl_contents(X509_CRL* crl);

// A CRL signed by `ca` listing `contents.revoked`, numbered `contents.number`.
Crl sign_crl(const Signer& ca, const CrlContents& contents);

// Normalises a serial typed by a person ("3f:a2:..", "0x3FA2..", lower case) to serial_hex's form, or ""
// when `text` is not hexadecimal.
std::string normalise_serial(const std::string& text);

}  // namespace dockgate::pki
