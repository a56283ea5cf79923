// Client certificate chains that have verified, so that a client connecting again with the same
// certificates skips the chain's signature checks: a tenth to a fifth of a mutual-TLS handshake's CPU, and
// the docker CLI opens a new connection for every command. Only what X509_verify_cert computes from the
// certificates' bytes is remembered; the clock and the CRL are consulted again on every connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pki/openssl.hpp"

namespace dockgate::tls {

// The key of a presented chain: the SHA-256 digests of every certificate the client sent, in order
// (the issuers and trust store are fixed for the life of the SSL_CTX that owns the cache). Empty if a
// digest could not be computed, which callers treat as "do not cache".
std::string presented_chain_key(X509* leaf, STACK_OF(X509) * presented);

// When every certificate of a verified chain is valid: the latest notBefore and the earliest notAfter.
// OpenSSL accepts a certificate when notBefore <= now < notAfter.
struct Validity {
  std::time_t not_before = 0, not_after = 0;
  bool covers(std::time_t now) const { return not_before <= now && now < not_after; }
};
// The validity of a whole chain; nullopt if any of its times cannot be read.
std::optional<Validity> chain_validity(STACK_OF(X509) * chain);

// A bounded map from presented_chain_key to the issuers X509_verify_cert found for it (the verified chain
// without its leaf) and the chain's validity. Only successes are stored. Least recently used entries go
// first when it is full. Safe to share between threads.
class VerifiedChains {
 public:
  explicit VerifiedChains(std::size_t capacity = 1024) : capacity_(capacity) {}

  // The issuers remembered for `key`, each with a reference of its own, if the entry exists and its
  // validity covers `now`. An entry that no longer covers `now` is dropped, so that the chain is verified
  // (and refused) again.
  std::optional<std::vector<pki::Cert>> find(const std::string& key, std::time_t now);

  // Remembers a chain that X509_verify_cert accepted. `issuers` are borrowed (a reference is taken).
  void remember(const std::string& key, const std::vector<X509*>& issuers, Validity validity);

  std::uint64_t hits() const;
  std::size_t size() const;

 private:
  struct Entry {
    std::vector<pki::Cert> issuers;
    Validity validity;
    std::list<std::string>::iterator age;  // position in recent_, most recent first
  };
  mutable std::mutex mutex_;
  std::size_t capacity_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recent_;
  std::uint64_t hits_ = 0;
};

}  // namespace dockgate::tls
