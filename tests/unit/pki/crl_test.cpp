#include "pki/crl.hpp"

#include <gtest/gtest.h>

#include "error.hpp"
#include "pki/key.hpp"
#include "verify.hpp"

namespace dockgate::pki {
namespace {

struct Ca {
  PKey key = generate_key(KeyType::ecdsa_p256);
  Cert cert = issue_certificate({Role::ca, "CRL test CA", {}, {}, 3650}, key.get(), std::nullopt);
  Signer signer() const { return {cert.get(), key.get()}; }
};

TEST(Crl, ListsTheRevokedSerialsAndIsEnforced) {
  Ca ca;
  PKey k = generate_key(KeyType::ecdsa_p256);
  Cert revoked = issue_certificate({Role::client, "eve", {}, {}, 365}, k.get(), ca.signer());
  Cert kept = issue_certificate({Role::client, "bob", {}, {}, 365}, k.get(), ca.signer());
  std::string serial = serial_hex(X509_get0_serialNumber(revoked.get()));

  Crl crl = sign_crl(ca.signer(), {7, {{serial, 1700000000}}});
  Crl back = crl_from_pem(crl_to_pem(crl.get()), "crl.pem", ca.cert.get());
  CrlContents c = crl_contents(back.get());
  EXPECT_EQ(c.number, 7);
  ASSERT_EQ(c.revoked.size(), 1u);
  EXPECT_EQ(c.revoked[0].serial, serial);
  EXPECT_EQ(c.revoked[0].when, 1700000000);
  EXPECT_EQ(ASN1_TIME_compare(X509_CRL_get0_nextUpdate(back.get()), X509_get0_notAfter(ca.cert.get())), 0);

  using testing::verify;
  EXPECT_EQ(verify(ca.cert.get(), revoked.get(), X509_PURPOSE_SSL_CLIENT, back.get()),
            X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(verify(ca.cert.get(), kept.get(), X509_PURPOSE_SSL_CLIENT, back.get()), X509_V_OK);
}

TEST(Crl, ACrlFromAnotherCaIsRefused) {
  Ca mine, theirs;
  Crl crl = sign_crl(theirs.signer(), {1, {}});
  EXPECT_THROW(crl_from_pem(crl_to_pem(crl.get()), "crl.pem", mine.cert.get()), Error);
  EXPECT_THROW(crl_from_pem("garbage", "crl.pem", mine.cert.get()), Error);
}

TEST(Serial, NormalisesWhatPeopleType) {
  EXPECT_EQ(normalise_serial("3f:a2:0b"), "3FA20B");
  EXPECT_EQ(normalise_serial("0x00ABC"), "0ABC");
  EXPECT_EQ(normalise_serial("D6DDC3DA99478BCAC57396B2A7C3BE6B"), "D6DDC3DA99478BCAC57396B2A7C3BE6B");
  EXPECT_EQ(normalise_serial("alice"), "");
  EXPECT_EQ(normalise_serial(""), "");
}

}  // namespace
}  // namespace dockgate::pki
