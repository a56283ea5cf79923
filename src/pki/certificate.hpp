// X.509 certificates for the three roles of a Docker TLS setup (CA, server, client), with the extensions
// Go's crypto/tls (dockerd, the docker CLI) and OpenSSL both check; and a description of any certificate
// for `certs show` and `certs list`.
#pragma once

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pki/names.hpp"
#include "pki/openssl.hpp"

namespace dockgate::pki {

enum class Role { ca, server, client };
std::string role_name(Role role);

// Default validity in days, documented in the README:
//  - CA 10 years: replacing it means re-issuing every server and client certificate;
//  - server 825 days: the longest validity macOS accepts for a TLS server certificate;
//  - client 1 year: client keys live on laptops and CI runners; a year bounds a forgotten one.
int default_days(Role role);

// What a certificate says about its subject. Everything else (serial, key identifiers, usages) follows
// from the role.
struct Profile {
  Role role = Role::client;
  std::string common_name;
  std::vector<HostName> hosts;      // server: the subjectAltNames
  std::vector<std::string> groups;  // client: written as URI SANs (see group_uri)
  int days = 0;
  // When set (renewals), the subject is copied verbatim instead of O=dockgate,CN=common_name, so that
  // certificates issued under a renewed CA still name it as their issuer.
  const X509_NAME* subject = nullptr;
};

struct Signer {
  X509* cert;
  EVP_PKEY* key;
};

// Issues a certificate for `subject_key`, signed by `signer`, or self-signed when there is none (a CA).
// Its serial is a random 128-bit number; it is valid from five minutes ago (for clients whose clocks lag)
// for `profile.days` days, but never beyond the signer's own expiry.
Cert issue_certificate(const Profile& profile, EVP_PKEY* subject_key, const std::optional<Signer>& signer);

// Reads role, names and groups back from a certificate dockgate (or the seeds' openssl commands) issued,
// for renewing it. Throws Error when the certificate fits none of the three roles.
Profile profile_of(X509* cert, const std::filesystem::path& path);

Cert cert_from_pem(const std::string& pem, const std::filesystem::path& path);
std::string cert_to_pem(X509* cert);

// RFC 3339 in UTC, as every date dockgate prints: 2026-11-23T16:40:52Z.
std::string utc_text(std::time_t when);

// An ASN.1 UTCTime or GeneralizedTime as seconds since the epoch; nullopt if it cannot be read.
std::optional<std::time_t> to_time(const ASN1_TIME* t);

// SHA-256 for certificate digests, fetched once: EVP_sha256() would make X509_digest look the
// implementation up on every call, and fingerprints are taken on every handshake.
const EVP_MD* sha256();

// Upper-case hex without separators, as `openssl x509 -serial` and `openssl crl -text` print it.
std::string serial_hex(const ASN1_INTEGER* serial);

// Who holds a certificate: what the gateway reads from every client's certificate to name and authorize
// it, and no more (each connection pays for it).
struct Holder {
  std::string common_name;
  std::vector<std::string> organizational_units;
  std::string serial;
  std::string sha256_fingerprint;  // colon-separated upper-case hex
  std::vector<std::string> dns_names, ip_addresses, uris, emails, groups;
};

Holder describe_holder(X509* cert);

// Everything `certs list` and `certs show` print.
struct CertInfo : Holder {
  std::string subject, issuer;
  std::string not_before, not_after;  // RFC 3339, UTC
  long days_left = 0;                 // whole days until expiry; negative once expired
  long lifetime_days = 0;             // whole days from notBefore to notAfter
  // Due for renewal: in the last 30 days of its life, or the last third of a life shorter than 90 days (a
  // 30-day client certificate is not "expiring" the moment it is issued).
  bool expiring() const { return days_left >= 0 && days_left < std::min(30L, (lifetime_days + 2) / 3); }
  bool is_ca = false;
  std::string key;
  std::vector<std::string> key_usage, extended_key_usage;
};

CertInfo describe_certificate(X509* cert);

}  // namespace dockgate::pki
