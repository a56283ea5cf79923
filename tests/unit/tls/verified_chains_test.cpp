#include "tls/verified_chains.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include "../support.hpp"
#include "files/batch.hpp"
#include "pki/authority.hpp"
#include "pki/certificate.hpp"

namespace dockgate::tls {
namespace {
namespace fs = std::filesystem;
using dockgate::testing::TempDir;

pki::Cert read_cert(const fs::path& path) {
  std::string pem = files::read_file(path, "cert");
  pki::Bio in = pki::bio_from(pem);
  return pki::Cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
}

class PresentedChains : public ::testing::Test {
 protected:
  void SetUp() override {
    pki::InitOptions o;
    o.layout = {tmp_ / "pki"};
    o.server.hosts = {"docker.example.com"};
    pki::init_pki(o);
    client_ = read_cert(o.layout.client_dir("admin") / "cert.pem");
    ca_ = read_cert(o.layout.ca_cert());
    ASSERT_TRUE(client_ && ca_);
  }
  TempDir tmp_;
  pki::Cert client_, ca_;
};

TEST_F(PresentedChains, TheKeyIsEveryPresentedCertificatesDigestInOrder) {
  std::string alone = presented_chain_key(client_.get(), nullptr);
  EXPECT_EQ(alone.size(), 32U);
  STACK_OF(X509)* presented = sk_X509_new_null();
  sk_X509_push(presented, client_.get());
  EXPECT_EQ(presented_chain_key(client_.get(), presented), alone);  // libssl's list starts with the leaf
  sk_X509_push(presented, ca_.get());
  std::string with_ca = presented_chain_key(client_.get(), presented);
  EXPECT_EQ(with_ca.size(), 64U);
  EXPECT_EQ(with_ca.substr(0, 32), alone);
  EXPECT_NE(presented_chain_key(ca_.get(), nullptr), alone);
  sk_X509_free(presented);  // the certificates belong to the fixture
  EXPECT_EQ(presented_chain_key(nullptr, nullptr), "");
}

TEST_F(PresentedChains, AChainIsValidWhereEveryCertificateIs) {
  STACK_OF(X509)* chain = sk_X509_new_null();
  sk_X509_push(chain, client_.get());
  sk_X509_push(chain, ca_.get());
  std::optional<Validity> v = chain_validity(chain);
  sk_X509_free(chain);
  ASSERT_TRUE(v);
  // The client certificate is issued after the CA and expires first (1 year against 10).
  EXPECT_EQ(v->not_before, pki::to_time(X509_get0_notBefore(client_.get())));
  EXPECT_EQ(v->not_after, pki::to_time(X509_get0_notAfter(client_.get())));
  EXPECT_GE(v->not_before, *pki::to_time(X509_get0_notBefore(ca_.get())));
  EXPECT_TRUE(v->covers(std::time(nullptr)));
  EXPECT_FALSE(chain_validity(nullptr));
}

TEST_F(PresentedChains, RememberedIssuersHoldReferencesOfTheirOwn) {
  VerifiedChains cache;
  X509* ca = ca_.release();
  cache.remember("k", {ca}, {0, 100});
  X509_free(ca);  // the cache's reference keeps it alive
  auto found = cache.find("k", 50);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1U);
  EXPECT_TRUE(pki::describe_holder((*found)[0].get()).common_name.starts_with("dockgate CA "));
}

TEST(VerifiedChains, FindsWhatWasRememberedAndCountsHits) {
  VerifiedChains cache;
  EXPECT_FALSE(cache.find("a", 50));
  cache.remember("a", {}, {10, 100});
  EXPECT_TRUE(cache.find("a", 50));
  EXPECT_TRUE(cache.find("a", 10));
  EXPECT_FALSE(cache.find("b", 50));
  EXPECT_EQ(cache.hits(), 2U);
  cache.remember("", {}, {10, 100});  // no key: nothing to find it by
  EXPECT_EQ(cache.size(), 1U);
}

// As OpenSSL decides: valid from notBefore, expired at notAfter. An entry found out of its dates is
// dropped, so that the chain is verified, and refused with OpenSSL's own reason, again.
TEST(VerifiedChains, OutsideItsDatesAnEntryIsDropped) {
  VerifiedChains cache;
  cache.remember("a", {}, {10, 100});
  EXPECT_FALSE(cache.find("a", 100));
  EXPECT_EQ(cache.size(), 0U);
  cache.remember("a", {}, {10, 100});
  EXPECT_FALSE(cache.find("a", 9));
  EXPECT_EQ(cache.size(), 0U);
  EXPECT_EQ(cache.hits(), 0U);
}

TEST(VerifiedChains, WhenFullTheLeastRecentlyUsedGoes) {
  VerifiedChains cache(2);
  cache.remember("a", {}, {0, 100});
  cache.remember("b", {}, {0, 100});
  EXPECT_TRUE(cache.find("a", 1));
  cache.remember("c", {}, {0, 100});
  EXPECT_EQ(cache.size(), 2U);
  EXPECT_TRUE(cache.find("a", 1));
  EXPECT_TRUE(cache.find("c", 1));
  EXPECT_FALSE(cache.find("b", 1));
  cache.remember("c", {}, {0, 50});  // remembered again: replaced, not duplicated
  EXPECT_EQ(cache.size(), 2U);
  EXPECT_FALSE(cache.find("c", 60));
  VerifiedChains none(0);
  none.remember("a", {}, {0, 100});
  EXPECT_EQ(none.size(), 0U);
}

}  // namespace
}  // namespace dockgate::tls
