#include "pki/certificate.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "../support.hpp"
#include "error.hpp"
#include "pki/key.hpp"
#include "verify.hpp"

namespace dockgate::pki {
namespace {
using testing::verify;

struct Chain {
  PKey ca_key, server_key, client_key;
  Cert ca, server, client;
};

Chain make_chain(KeyType type) {
  Chain c;
  c.ca_key = generate_key(type);
  c.ca = issue_certificate({Role::ca, "test CA", {}, {}, 3650}, c.ca_key.get(), std::nullopt);
  Signer s{c.ca.get(), c.ca_key.get()};
  c.server_key = generate_key(type);
  c.server = issue_certificate({Role::server,
                                "docker.example.com",
                                {parse_host("docker.example.com"), parse_host("127.0.0.1")},
                                {},
                                825},
                               c.server_key.get(), s);
  c.client_key = generate_key(type);
  c.client = issue_certificate({Role::client, "alice", {}, {"ops", "dev"}, 365}, c.client_key.get(), s);
  return c;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

class EveryKeyType : public ::testing::TestWithParam<KeyType> {};

TEST_P(EveryKeyType, ServerAndClientVerifyOnlyForTheirPurpose) {
  Chain c = make_chain(GetParam());
  EXPECT_EQ(verify(c.ca.get(), c.server.get(), X509_PURPOSE_SSL_SERVER), X509_V_OK);
  EXPECT_EQ(verify(c.ca.get(), c.client.get(), X509_PURPOSE_SSL_CLIENT), X509_V_OK);
  EXPECT_EQ(verify(c.ca.get(), c.server.get(), X509_PURPOSE_SSL_CLIENT), X509_V_ERR_INVALID_PURPOSE);
  EXPECT_EQ(verify(c.ca.get(), c.client.get(), X509_PURPOSE_SSL_SERVER), X509_V_ERR_INVALID_PURPOSE);
}

INSTANTIATE_TEST_SUITE_P(Pki, EveryKeyType,
                         ::testing::Values(KeyType::ecdsa_p256, KeyType::rsa2048, KeyType::ed25519),
                         [](const auto& param_info) {
                           std::string n = key_type_flag(param_info.param);
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(Certificate, ExtensionsAreExactlyRight) {
  Chain c = make_chain(KeyType::ecdsa_p256);
  CertInfo ca = describe_certificate(c.ca.get());
  EXPECT_TRUE(ca.is_ca);
  EXPECT_EQ(ca.key_usage, (std::vector<std::string>{"keyCertSign", "cRLSign"}));
  EXPECT_TRUE(ca.extended_key_usage.empty());
  EXPECT_EQ(X509_get_pathlen(c.ca.get()), 0);

  CertInfo server = describe_certificate(c.server.get());
  EXPECT_FALSE(server.is_ca);
  EXPECT_EQ(server.key_usage, std::vector<std::string>{"digitalSignature"});
  EXPECT_EQ(server.extended_key_usage, std::vector<std::string>{"serverAuth"});
  EXPECT_EQ(server.dns_names, std::vector<std::string>{"docker.example.com"});
  EXPECT_EQ(server.ip_addresses, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(server.common_name, "docker.example.com");
  EXPECT_EQ(server.issuer, ca.subject);

  CertInfo client = describe_certificate(c.client.get());
  EXPECT_EQ(client.extended_key_usage, std::vector<std::string>{"clientAuth"});
  EXPECT_EQ(client.common_name, "alice");
  EXPECT_EQ(client.groups, (std::vector<std::string>{"ops", "dev"}));
  EXPECT_TRUE(contains(client.uris, "urn:dockgate:group:ops"));

  // Key identifiers: every leaf's AKID is the CA's SKID, and the CA's own AKID too.
  const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(c.ca.get());
  ASSERT_NE(skid, nullptr);
  for (X509* cert : {c.ca.get(), c.server.get(), c.client.get()}) {
    const ASN1_OCTET_STRING* akid = X509_get0_authority_key_id(cert);
    ASSERT_NE(akid, nullptr);
    EXPECT_EQ(ASN1_OCTET_STRING_cmp(akid, skid), 0);
  }
  EXPECT_NE(X509_get0_subject_key_id(c.server.get()), nullptr);
}

TEST(Certificate, RsaServerKeysAlsoAllowKeyEncipherment) {
  Chain c = make_chain(KeyType::rsa2048);
  EXPECT_EQ(describe_certificate(c.server.get()).key_usage,
            (std::vector<std::string>{"digitalSignature", "keyEncipherment"}));
}

TEST(Certificate, SerialsAreRandom128BitNumbers) {
  Chain a = make_chain(KeyType::ecdsa_p256);
  Chain b = make_chain(KeyType::ecdsa_p256);
  for (X509* cert : {a.ca.get(), a.server.get(), a.client.get()}) {
    BigNum bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
    EXPECT_EQ(BN_num_bits(bn.get()), 128);
    EXPECT_EQ(serial_hex(X509_get0_serialNumber(cert)).size(), 32u);
  }
  EXPECT_NE(serial_hex(X509_get0_serialNumber(a.server.get())),
            serial_hex(X509_get0_serialNumber(b.server.get())));
  EXPECT_NE(serial_hex(X509_get0_serialNumber(a.server.get())),
            serial_hex(X509_get0_serialNumber(a.client.get())));
}

TEST(Certificate, ValidityIsBackdatedAndNeverOutlivesTheCa) {
  PKey ca_key = generate_key(KeyType::ecdsa_p256);
  Cert ca = issue_certificate({Role::ca, "short CA", {}, {}, 10}, ca_key.get(), std::nullopt);
  PKey key = generate_key(KeyType::ecdsa_p256);
  Cert leaf =
      issue_certificate({Role::client, "bob", {}, {}, 365}, key.get(), Signer{ca.get(), ca_key.get()});
  EXPECT_EQ(ASN1_TIME_compare(X509_get0_notAfter(leaf.get()), X509_get0_notAfter(ca.get())), 0);
  int days = 0, secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(leaf.get()), nullptr), 1);
  EXPECT_GE(days * 86400 + secs, 299);
  EXPECT_LE(describe_certificate(leaf.get()).days_left, 10);
}

TEST(Certificate, ThePeriodIsExactlyTheDaysAskedFor) {
  // 825 days is the most macOS accepts for a server certificate: the back-dating is not added to it.
  Chain c = make_chain(KeyType::ecdsa_p256);
  int days = 0, secs = 0;
  ASSERT_EQ(
      ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(c.server.get()), X509_get0_notAfter(c.server.get())),
      1);
  EXPECT_EQ(days, 825);
  EXPECT_EQ(secs, 0);
  CertInfo info = describe_certificate(c.server.get());
  EXPECT_EQ(info.lifetime_days, 825);
  EXPECT_FALSE(info.expiring());
}

TEST(Certificate, ExpiringIsRelativeToALifeShorterThan90Days) {
  CertInfo info;
  info.lifetime_days = 30;
  info.days_left = 29;  // a 30-day certificate just issued
  EXPECT_FALSE(info.expiring());
  info.days_left = 9;  // its last third
  EXPECT_TRUE(info.expiring());
  info.lifetime_days = 825;
  info.days_left = 29;
  EXPECT_TRUE(info.expiring());
  info.days_left = 30;
  EXPECT_FALSE(info.expiring());
  info.days_left = -1;  // expired is not expiring
  EXPECT_FALSE(info.expiring());
}

TEST(Certificate, ProfileReadsBackRoleNamesAndGroups) {
  Chain c = make_chain(KeyType::ecdsa_p256);
  Profile server = profile_of(c.server.get(), "server-cert.pem");
  EXPECT_EQ(server.role, Role::server);
  EXPECT_EQ(server.hosts, (std::vector<HostName>{parse_host("docker.example.com"), parse_host("127.0.0.1")}));
  Profile client = profile_of(c.client.get(), "cert.pem");
  EXPECT_EQ(client.role, Role::client);
  EXPECT_EQ(client.groups, (std::vector<std::string>{"ops", "dev"}));
  EXPECT_EQ(profile_of(c.ca.get(), "ca.pem").role, Role::ca);
}

TEST(Certificate, PemRoundTripAndCorruptInputIsNamed) {
  Chain c = make_chain(KeyType::ecdsa_p256);
  Cert back = cert_from_pem(cert_to_pem(c.server.get()), "x.pem");
  EXPECT_EQ(X509_cmp(back.get(), c.server.get()), 0);
  EXPECT_NE(dockgate::testing::error_of([] {
              cert_from_pem("not a certificate", "/etc/docker/ca.pem");
            }).find("cannot read the certificate /etc/docker/ca.pem"),
            std::string::npos);
}

}  // namespace
}  // namespace dockgate::pki
