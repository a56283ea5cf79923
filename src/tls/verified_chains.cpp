// The verified-chain cache and the two facts it keys and bounds entries by: the presented certificates'
// digests and the chain's validity.
#include "tls/verified_chains.hpp"

#include <algorithm>
#include <limits>

#include "pki/certificate.hpp"

namespace dockgate::tls {

std::string presented_chain_key(X509* leaf, STACK_OF(X509) * presented) {
  const EVP_MD* sha256 = pki::sha256();
  if (sha256 == nullptr || leaf == nullptr) return {};
  std::string key;
  auto add = [&](X509* cert) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (X509_digest(cert, sha256, md, &n) != 1) return false;
    key.append(reinterpret_cast<const char*>(md), n);
    return true;
  };
  // libssl passes the leaf and the whole presented list (leaf first); a caller may pass the leaf alone.
  int count = presented == nullptr ? 0 : sk_X509_num(presented);
  if (count == 0 || sk_X509_value(presented, 0) != leaf) {
    if (!add(leaf)) return {};
  }
  for (int i = 0; i < count; ++i) {
    if (!add(sk_X509_value(presented, i))) return {};
  }
  return key;
}

std::optional<Validity> chain_validity(STACK_OF(X509) * chain) {
  if (chain == nullptr || sk_X509_num(chain) == 0) return std::nullopt;
  Validity v{std::numeric_limits<std::time_t>::min(), std::numeric_limits<std::time_t>::max()};
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    X509* cert = sk_X509_value(chain, i);
    std::optional<std::time_t> from = pki::to_time(X509_get0_notBefore(cert));
    std::optional<std::time_t> until = pki::to_time(X509_get0_notAfter(cert));
    if (!from || !until) return std::nullopt;
    v.not_before = std::max(v.not_before, *from);
    v.not_after = std::min(v.not_after, *until);
  }
  return v;
}

std::optional<std::vector<pki::Cert>> VerifiedChains::find(const std::string& key, std::time_t now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (!it->second.validity.covers(now)) {
    recent_.erase(it->second.age);
    entries_.erase(it);
    return std::nullopt;
  }
  recent_.splice(recent_.begin(), recent_, it->second.age);
  std::vector<pki::Cert> issuers;
  issuers.reserve(it->second.issuers.size());
  for (const auto& c : it->second.issuers) {
    X509_up_ref(c.get());
    issuers.emplace_back(c.get());
  }
  ++hits_;
  return issuers;
}

void VerifiedChains::remember(const std::string& key, const std::vector<X509*>& issuers, Validity validity) {
  if (key.empty() || capacity_ == 0) return;
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(key); it != entries_.end()) {
    recent_.erase(it->second.age);
    entries_.erase(it);
  }
  while (entries_.size() >= capacity_) {
    entries_.erase(recent_.back());
    recent_.pop_back();
  }
  Entry entry;
  for (X509* c : issuers) {
    X509_up_ref(c);
    entry.issuers.emplace_back(c);
  }
  entry.validity = validity;
  recent_.push_front(key);
  entry.age = recent_.begin();
  entries_.emplace(key, std::move(entry));
}

std::uint64_t VerifiedChains::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}

std::size_t VerifiedChains::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace dockgate::tls
