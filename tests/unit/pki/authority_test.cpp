#include "pki/authority.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "../support.hpp"
#include "error.hpp"
#include "files/batch.hpp"
#include "verify.hpp"

namespace dockgate::pki {
namespace {
namespace fs = std::filesystem;
using dockgate::testing::error_of;
using dockgate::testing::mode_of;
using dockgate::testing::TempDir;

Cert load(const fs::path& p) {
  return cert_from_pem(files::read_file(p, "cert"), p);
}
std::string serial_of(const fs::path& p) {
  return serial_hex(X509_get0_serialNumber(load(p).get()));
}
std::string text(const fs::path& p) {
  return files::read_file(p, "file");
}

InitOptions options_for(const fs::path& dir) {
  InitOptions o;
  o.layout = {dir};
  o.server.hosts = {"docker.example.com", "192.0.2.10"};
  return o;
}

TEST(Init, WritesDockerNamedFilesWithTheirModes) {
  TempDir tmp;
  Layout l{tmp / "pki"};
  init_pki(options_for(l.dir));
  for (const char* f : {"ca-key.pem", "server-key.pem", "clients/admin/key.pem"})
    EXPECT_EQ(mode_of(l.dir / f), 0400u) << f;
  for (const char* f :
       {"ca.pem", "server-cert.pem", "crl.pem", "clients/admin/cert.pem", "clients/admin/ca.pem"}) {
    EXPECT_EQ(mode_of(l.dir / f), 0444u) << f;
  }
  for (const char* d : {"", "clients", "clients/admin"}) EXPECT_EQ(mode_of(l.dir / d), 0700u) << d;
  EXPECT_EQ(text(l.dir / "clients/admin/ca.pem"), text(l.ca_cert()));

  Cert ca = load(l.ca_cert());
  EXPECT_EQ(testing::verify(ca.get(), load(l.dir / "server-cert.pem").get(), X509_PURPOSE_SSL_SERVER),
            X509_V_OK);
  EXPECT_EQ(testing::verify(ca.get(), load(l.dir / "clients/admin/cert.pem").get(), X509_PURPOSE_SSL_CLIENT),
            X509_V_OK);
  CertInfo server = describe_certificate(load(l.dir / "server-cert.pem").get());
  EXPECT_EQ(server.dns_names, (std::vector<std::string>{"docker.example.com", "localhost"}));
  EXPECT_EQ(server.ip_addresses, (std::vector<std::string>{"192.0.2.10", "127.0.0.1", "::1"}));
}

TEST(Init, NeverOverwritesWithoutForceAndChangesNothing) {
  TempDir tmp;
  Layout l{tmp / "pki"};
  init_pki(options_for(l.dir));
  std::string ca_before = text(l.ca_cert()), key_before = text(l.ca_key());
  std::string msg = error_of([&] { init_pki(options_for(l.dir)); });
  EXPECT_NE(msg.find((l.dir / "ca-key.pem").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("--force"), std::string::npos) << msg;
  EXPECT_EQ(text(l.ca_cert()), ca_before);
  EXPECT_EQ(text(l.ca_key()), key_before);

  InitOptions forced = options_for(l.dir);
  forced.force = true;
  init_pki(forced);
  EXPECT_NE(text(l.ca_cert()), ca_before);
}

TEST(Init, NoLocalWithoutHostsIsAnError) {
  TempDir tmp;
  InitOptions o;
  o.layout = {tmp / "pki"};
  o.server.no_local = true;
  EXPECT_NE(error_of([&] { init_pki(o); }).find("--host"), std::string::npos);
  EXPECT_FALSE(fs::exists(tmp / "pki"));
}

TEST(Authority, IssuesClientsWithGroupsAndRefusesATakenName) {
  TempDir tmp;
  Layout l{tmp / "pki"};
  init_pki(options_for(l.dir));
  Authority ca(l, std::nullopt);
  ca.issue_client("ci", {"builders"}, KeyType::ed25519, 30, false);
  CertInfo info = describe_certificate(load(l.dir / "clients/ci/cert.pem").get());
  EXPECT_EQ(info.groups, std::vector<std::string>{"builders"});
  EXPECT_EQ(info.key, "Ed25519");
  EXPECT_LE(info.days_left, 30);

  std::string before = text(l.dir / "clients/ci/cert.pem");
  std::string msg = error_of([&] { ca.issue_client("ci", {}, KeyType::ecdsa_p256, 30, false); });
  EXPECT_NE(msg.find("the client name \"ci\" is taken"), std::string::npos) << msg;
  EXPECT_EQ(text(l.dir / "clients/ci/cert.pem"), before);
  ca.issue_client("ci", {}, KeyType::ecdsa_p256, 30, true);
  EXPECT_NE(text(l.dir / "clients/ci/cert.pem"), before);
}

TEST(Authority, IssuesNamedServersWithTheirOwnCaCopy) {
  TempDir tmp;
  Layout l{tmp / "pki"};
  init_pki(options_for(l.dir));
  Authority ca(l, std::nullopt);
  ca.issue_server("build-2", {{"build-2.example.com"}, true, false}, KeyType::rsa2048, 90, false);
  CertInfo info = describe_certificate(load(l.dir / "servers/build-2/server-cert.pem").get());
  EXPECT_EQ(info.dns_names, std::vector<std::string>{"build-2.example.com"});
  EXPECT_TRUE(info.ip_addresses.empty());
  EXPECT_EQ(text(l.dir / "servers/build-2/ca.pem"), text(l.ca_cert()));
  // The default server certificate exists already.
  EXPECT_NE(error_of([&] {
              ca.issue_server("", {{"x.example.com"}, false, false}, KeyType::ecdsa_p256, 90, false);
            }).find("already exist"),
            std::string::npos);
}

TEST(Authority, RevokeListsTheSerialAndFreesTheName) {
  TempDir tmp;
  Layout l{tmp / "pki"};
  init_pki(options_for(l.dir));
  Authority ca(l, std::nullopt);
  ca.issue_client("eve", {}, KeyType::ecdsa_p256, 30, false);
  std::string serial = serial_of(l.dir / "clients/eve/cert.pem");
  ca.revoke("eve");
  EXPECT_FALSE(fs::exists(l.dir / "clients/eve"));
  EXPECT_TRUE(fs::exists(l.dir / ("revoked/eve-" + serial.substr(0, 8)) / "cert.pem"));
  Crl crl = crl_from_pem(text(l.crl()), l.crl(), load(l.ca_cert()).get());
  CrlContents c = crl_contents(crl.get());
  ASSERT_EQ(c.revoked.size(), 1u);
  EXPECT_EQ(c.revoked[0].serial, serial);
  EXPECT_EQ(c.number, 2);

  EXPECT_NE(error_of([&] { ca.revoke(serial); }).find("already revoked"), std::string::npos);
  EXPECT_NE(error_of([&] { ca.revoke(serial_of(l.ca_cert())); }).find("the CA itself"), std::string::npos);
  EXPECT_NE(error_of([&] { ca.revoke("nobody"); }).find("neither a client"), std::string::npos);

  // By serial: the admin client, with colons and in lower case.
  std::string admin = serial_of(l.dir / "clients/admin/cert.pem");
  std::string typed;
  for (size_t i = 0; i < admin.size(); i += 2) typed += (i ? ":" : "") + admin.substr(i, 2);
  std::transform(typed.begin(), typed.end(), typed.begin(), ::tolower);
  ca.revoke(typed);
  EXPECT_FALSE(fs::exists(l.dir / "clients/admin"));

  ca.issue_client("eve", {}, KeyType::ecdsa_p256, 30, false);  // the name is free again

  auto entries = list_entries(l);
  size_t revoked = std::count_if(entries.begin(), entries.end(), [](const Entry& e) { return e.revoked; });
  EXPECT_EQ(revoked, 2u);
}

TEST(Authority, ASerialThatMatchesNothingIsRevokedWithANote) {
  TempDir tmp;
  Layout l{tmp / "pki"};
  init_pki(options_for(l.dir));
  Outcome out = Authority(l, std::nullopt).revoke("bead");  // a mistyped client name that happens to be hex
  ASSERT_FALSE(out.notes.empty());
  EXPECT_NE(out.notes.front().find("no certificate with serial BEAD"), std::string::npos)
      << out.notes.front();
  EXPECT_TRUE(fs::exists(l.client_dir("admin")));
}

TEST(Authority, RenewKeepsOrReplacesTheKey) {
  TempDir tmp;
  Layout l{tmp / "pki"};
  init_pki(options_for(l.dir));
  Authority ca(l, std::nullopt);
  fs::path cert = l.dir / "server-cert.pem", key = l.dir / "server-key.pem";
  std::string serial = serial_of(cert), key_pem = text(key);

  ca.renew(Role::server, "", false, 10);
  EXPECT_NE(serial_of(cert), serial);
  EXPECT_EQ(text(key), key_pem);
  CertInfo info = describe_certificate(load(cert).get());
  EXPECT_LE(info.days_left, 10);
  EXPECT_EQ(info.dns_names, (std::vector<std::string>{"docker.example.com", "localhost"}));
  EXPECT_EQ(mode_of(cert), 0444u);

  ca.renew(Role::client, "admin", true, std::nullopt);
  EXPECT_EQ(mode_of(l.dir / "clients/admin/key.pem"), 0400u);
  PKey k = key_from_pem(text(l.dir / "clients/admin/key.pem"), "k", std::nullopt);
  EXPECT_EQ(X509_check_private_key(load(l.dir / "clients/admin/cert.pem").get(), k.get()), 1);

  EXPECT_NE(error_of([&] { ca.renew(Role::client, "nobody", false, std::nullopt); }).find("nothing to renew"),
            std::string::npos);
  EXPECT_NE(error_of([&] { ca.renew(Role::ca, "", true, std::nullopt); }).find("new key"), std::string::npos);
}

TEST(Authority, RenewingTheCaKeepsEverythingItSignedValid) {
  TempDir tmp;
  Layout l{tmp / "pki"};
  init_pki(options_for(l.dir));
  std::string old_serial = serial_of(l.ca_cert());
  Authority(l, std::nullopt).renew(Role::ca, "", false, 5000);
  Cert ca = load(l.ca_cert());
  EXPECT_NE(serial_of(l.ca_cert()), old_serial);
  EXPECT_GT(describe_certificate(ca.get()).days_left, 3650);
  EXPECT_EQ(testing::verify(ca.get(), load(l.dir / "clients/admin/cert.pem").get(), X509_PURPOSE_SSL_CLIENT),
            X509_V_OK);
  EXPECT_EQ(text(l.dir / "clients/admin/ca.pem"), text(l.ca_cert()))
      << "client copies of the CA are refreshed";
  EXPECT_NO_THROW(crl_from_pem(text(l.crl()), l.crl(), ca.get()));
}

TEST(Authority, PassphraseProtectedCa) {
  TempDir tmp;
  InitOptions o = options_for(tmp / "pki");
  o.ca_passphrase = "a long passphrase";
  init_pki(o);
  EXPECT_NE(text(o.layout.ca_key()).find("ENCRYPTED PRIVATE KEY"), std::string::npos);
  EXPECT_NE(error_of([&] { Authority(o.layout, std::nullopt); }).find("--ca-passphrase-file"),
            std::string::npos);
  EXPECT_NE(error_of([&] { Authority(o.layout, std::string("nope")); }).find("wrong passphrase"),
            std::string::npos);
  Authority(o.layout, std::string("a long passphrase"))
      .issue_client("bob", {}, KeyType::ecdsa_p256, 30, false);
  EXPECT_TRUE(fs::exists(o.layout.client_dir("bob") / "cert.pem"));
}

TEST(Authority, ACorruptOrMismatchedCaKeyIsNamedAndNothingIsWritten) {
  TempDir tmp;
  Layout l{tmp / "pki"};
  init_pki(options_for(l.dir));
  fs::permissions(l.ca_key(), fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(l.ca_key()) << "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n";
  EXPECT_NE(error_of([&] { Authority(l, std::nullopt); }).find("cannot read the key " + l.ca_key().string()),
            std::string::npos);

  std::ofstream(l.ca_key()) << key_to_pem(generate_key(KeyType::ecdsa_p256).get());
  EXPECT_NE(error_of([&] { Authority(l, std::nullopt); }).find("does not belong to"), std::string::npos);
  EXPECT_FALSE(fs::exists(l.client_dir("x")));

  TempDir empty;
  EXPECT_NE(error_of([&] { Authority(Layout{empty.path()}, std::nullopt); }).find("certs init"),
            std::string::npos);
}

}  // namespace
}  // namespace dockgate::pki
