#include "tls/context.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fstream>
#include <functional>

#include "../support.hpp"
#include "files/batch.hpp"
#include "pki/authority.hpp"
#include "pki/key.hpp"
#include "pki/openssl.hpp"
#include "tls/key_decoding.hpp"
#include "tls/verified_chains.hpp"

namespace dockgate::tls {
namespace {
namespace fs = std::filesystem;
using dockgate::testing::TempDir;

pki::InitOptions options_for(const fs::path& dir) {
  pki::InitOptions o;
  o.layout = {dir};
  o.server.hosts = {"docker.example.com"};
  return o;
}

Files server_files(const pki::Layout& l, const std::string& ca, bool with_crl) {
  return {ca, (l.dir / "server-cert.pem").string(), (l.dir / "server-key.pem").string(),
          with_crl ? l.crl().string() : "", true};
}

// What a handshake showed besides its verify result.
struct Seen {
  int sent = 0;      // certificates the server sent
  int verified = 0;  // certificates in the server's verified chain of the client
};

// Runs a whole handshake in memory between a client holding DIR/clients/NAME's files and a server on
// `server`, and returns the server's verify result, or -1 when the handshake failed for another reason.
// `seen`, when given, receives the chains' lengths; `configure` adjusts the client.
long handshake(const Context& server, const fs::path& client_dir, Seen* seen = nullptr,
               const std::function<void(SSL_CTX*)>& configure = {}) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> cctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (configure) configure(cctx.get());
  EXPECT_EQ(SSL_CTX_use_certificate_chain_file(cctx.get(), (client_dir / "cert.pem").c_str()), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey_file(cctx.get(), (client_dir / "key.pem").c_str(), SSL_FILETYPE_PEM), 1);
  std::unique_ptr<SSL, decltype(&SSL_free)> client(SSL_new(cctx.get()), SSL_free);
  std::unique_ptr<SSL, decltype(&SSL_free)> srv(SSL_new(server.get()), SSL_free);
  BIO *client_end = nullptr, *server_end = nullptr;
  BIO_new_bio_pair(&client_end, 0, &server_end, 0);
  SSL_set_bio(client.get(), client_end, client_end);
  SSL_set_bio(srv.get(), server_end, server_end);
  SSL_set_connect_state(client.get());
  SSL_set_accept_state(srv.get());
  for (int round = 0; round < 10; ++round) {
    (void)SSL_do_handshake(client.get());
    int r = SSL_do_handshake(srv.get());
    if (r == 1) {
      (void)SSL_do_handshake(client.get());
      if (seen != nullptr) {
        seen->sent = sk_X509_num(SSL_get_peer_cert_chain(client.get()));
        seen->verified = sk_X509_num(SSL_get0_verified_chain(srv.get()));
      }
      return X509_V_OK;
    }
    if (SSL_get_error(srv.get(), r) != SSL_ERROR_WANT_READ) {
      ERR_clear_error();
      long v = SSL_get_verify_result(srv.get());
      return v == X509_V_OK ? -1 : v;
    }
  }
  return -1;
}

// Every handshake test runs twice: with OpenSSL as it comes, and as `dockgate serve` has it on OpenSSL 3.0,
// EC keys in certificates decoded by libcrypto's built-in method (key_decoding.hpp). CTest runs each test
// in a process of its own, so the first kind never sees the second's ENGINE.
class Revocation : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    pki::init_pki(options_for(a_.dir));
    pki::Authority ca(a_, std::nullopt);
    ca.issue_client("laptop", {}, pki::KeyType::ecdsa_p256, 30, false);
    (void)ca.revoke("laptop");
    pki::init_pki(options_for(b_.dir));
    std::ofstream(bundle_) << files::read_file(a_.ca_cert(), "ca") << files::read_file(b_.ca_cert(), "ca");
    // After the keys are made, as `serve` does.
    if (GetParam()) (void)use_builtin_ec_key_decoding();
  }
  void TearDown() override { stop_builtin_ec_key_decoding(); }
  TempDir tmp_;
  pki::Layout a_{tmp_ / "a"}, b_{tmp_ / "b"}, c_{tmp_ / "c"};
  fs::path bundle_ = tmp_ / "bundle.pem";
};

TEST_P(Revocation, AClientTheCrlListsIsRefusedAndOthersPass) {
  Context server = make_server_context(server_files(a_, a_.ca_cert().string(), true));
  EXPECT_EQ(handshake(server, a_.client_dir("admin")), X509_V_OK);
  EXPECT_EQ(handshake(server, a_.revoked_dir() / fs::directory_iterator(a_.revoked_dir())->path().filename()),
            X509_V_ERR_CERT_REVOKED);
}

TEST_P(Revocation, WithoutTheCrlTheRevokedClientPasses) {
  Context server = make_server_context(server_files(a_, a_.ca_cert().string(), false));
  EXPECT_EQ(handshake(server, a_.revoked_dir() / fs::directory_iterator(a_.revoked_dir())->path().filename()),
            X509_V_OK);
}

TEST_P(Revocation, AClientOfAnotherBundledCaHasNoCrlAndIsRefused) {
  // As OpenSSL's own CRL check answers: the CRL covers the first CA only, so its absence for the second
  // fails closed rather than letting that CA's revoked clients in.
  Context with_crl = make_server_context(server_files(a_, bundle_.string(), true));
  EXPECT_EQ(handshake(with_crl, b_.client_dir("admin")), X509_V_ERR_UNABLE_TO_GET_CRL);
  EXPECT_EQ(handshake(with_crl, a_.client_dir("admin")), X509_V_OK);
  Context without = make_server_context(server_files(a_, bundle_.string(), false));
  EXPECT_EQ(handshake(without, b_.client_dir("admin")), X509_V_OK);
}

TEST_P(Revocation, AClientOfAnUnknownCaIsRefusedBeforeAnyLookup) {
  Context server = make_server_context(server_files(a_, a_.ca_cert().string(), true));
  EXPECT_EQ(handshake(server, b_.client_dir("admin")), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

// Like dockerd, the server sends the certificates in --tlscert and nothing more. OpenSSL would otherwise
// complete the chain from the client CA store on every handshake: a signature verification per client
// and the CA certificate sent to clients that have it already.
class ServerChain : public Revocation {};

TEST_P(ServerChain, IsTheCertificatesOfItsFileOnly) {
  auto plain = make_server_context(server_files(a_, a_.ca_cert().string(), false));
  Seen seen;
  ASSERT_EQ(handshake(plain, a_.client_dir("admin"), &seen), X509_V_OK);
  EXPECT_EQ(seen.sent, 1);

  fs::path with_chain = tmp_ / "server-chain.pem";
  std::ofstream(with_chain) << files::read_file(a_.dir / "server-cert.pem", "cert")
                            << files::read_file(a_.ca_cert(), "ca");
  Files f = server_files(a_, a_.ca_cert().string(), false);
  f.cert = with_chain.string();
  auto chained = make_server_context(f);
  ASSERT_EQ(handshake(chained, a_.client_dir("admin"), &seen), X509_V_OK);
  EXPECT_EQ(seen.sent, 2);
}

// A client certificate whose signature no longer matches what its CA signed: the built-in method must
// refuse it as the providers do.
TEST_P(Revocation, AClientCertificateWithABrokenSignatureIsRefused) {
  fs::path forged = tmp_ / "forged";
  fs::create_directories(forged);
  fs::copy_file(a_.client_dir("admin") / "key.pem", forged / "key.pem");
  std::string pem = files::read_file(a_.client_dir("admin") / "cert.pem", "cert");
  pki::Bio in = pki::bio_from(pem);
  pki::Cert cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(cert);
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  ASSERT_GT(len, 10);
  der[len - 5] ^= 0x01;  // inside the signature's s value, the DER's last field
  const unsigned char* p = der;
  pki::Cert broken(d2i_X509(nullptr, &p, len));
  OPENSSL_free(der);
  ASSERT_TRUE(broken);
  pki::Bio out(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(out.get(), broken.get());
  std::ofstream(forged / "cert.pem") << pki::bio_text(out.get());

  Context server = make_server_context(server_files(a_, a_.ca_cert().string(), false));
  EXPECT_EQ(handshake(server, forged), X509_V_ERR_CERT_SIGNATURE_FAILURE);
  EXPECT_EQ(handshake(server, a_.client_dir("admin")), X509_V_OK);
  // The genuine certificate's chain is remembered now; the forged one differs in its bytes and is
  // verified, and refused, again.
  EXPECT_EQ(handshake(server, forged), X509_V_ERR_CERT_SIGNATURE_FAILURE);
  EXPECT_EQ(verified_chains(server)->hits(), 0U);
}

// The second connection with the same certificate reuses the chain the first verified, and ends with
// the same verified chain (client and CA); revoked clients and failures are never remembered, and a
// client that also sends its CA certificate is a chain of its own.
TEST_P(Revocation, AChainVerifiedOnceIsReusedWithTheCrlCheckedEachTime) {
  Context server = make_server_context(server_files(a_, a_.ca_cert().string(), true));
  const VerifiedChains* cache = verified_chains(server);
  ASSERT_NE(cache, nullptr);
  fs::path revoked = a_.revoked_dir() / fs::directory_iterator(a_.revoked_dir())->path().filename();
  for (int round = 0; round < 3; ++round) {
    Seen seen;
    EXPECT_EQ(handshake(server, a_.client_dir("admin"), &seen), X509_V_OK) << round;
    EXPECT_EQ(seen.verified, 2) << round;
    EXPECT_EQ(handshake(server, revoked), X509_V_ERR_CERT_REVOKED) << round;
    EXPECT_EQ(handshake(server, b_.client_dir("admin")), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
        << round;
  }
  EXPECT_EQ(cache->hits(), 2U);
  EXPECT_EQ(cache->size(), 1U);

  fs::path with_ca = tmp_ / "with-ca";
  fs::create_directories(with_ca);
  fs::copy_file(a_.client_dir("admin") / "key.pem", with_ca / "key.pem");
  std::ofstream(with_ca / "cert.pem") << files::read_file(a_.client_dir("admin") / "cert.pem", "cert")
                                      << files::read_file(a_.ca_cert(), "ca");
  EXPECT_EQ(handshake(server, with_ca), X509_V_OK);
  EXPECT_EQ(handshake(server, with_ca), X509_V_OK);
  EXPECT_EQ(cache->hits(), 3U);
  EXPECT_EQ(cache->size(), 2U);

  // Another context (a reload) starts with nothing remembered.
  Context reloaded = make_server_context(server_files(a_, a_.ca_cert().string(), true));
  EXPECT_EQ(handshake(reloaded, revoked), X509_V_ERR_CERT_REVOKED);
  EXPECT_EQ(verified_chains(reloaded)->size(), 0U);
}

// EC and RSA keys on either side, the key shares clients offer, and TLS 1.2. (An OpenSSL client under
// TLS 1.2 sends an ECDSA certificate only if its curve is among the groups it offers, hence P-256 there.)
TEST_P(Revocation, KeyTypesGroupsAndVersionsAllHandshake) {
  pki::InitOptions rsa = options_for(c_.dir);
  rsa.key_type = pki::KeyType::rsa2048;  // RSA keys may be made with the ENGINE in place
  pki::init_pki(rsa);
  fs::path both = tmp_ / "both.pem";
  std::ofstream(both) << files::read_file(a_.ca_cert(), "ca") << files::read_file(c_.ca_cert(), "ca");
  Context ec_server = make_server_context(server_files(a_, both.string(), false));
  Context rsa_server = make_server_context(server_files(c_, both.string(), false));
  const std::pair<int, const char*> offers[] = {{TLS1_3_VERSION, "X25519"},
                                                {TLS1_3_VERSION, "P-256"},
                                                {TLS1_3_VERSION, "P-384"},
                                                {TLS1_2_VERSION, "P-256"},
                                                {TLS1_2_VERSION, "X25519:P-256"}};
  for (const Context* server : {&ec_server, &rsa_server}) {
    for (const pki::Layout* client : {&a_, &c_}) {
      for (const auto& [version, groups] : offers) {
        EXPECT_EQ(handshake(*server, client->client_dir("admin"), nullptr,
                            [&](SSL_CTX* c) {
                              SSL_CTX_set1_groups_list(c, groups);
                              SSL_CTX_set_max_proto_version(c, version);
                            }),
                  X509_V_OK)
            << (server == &ec_server ? "EC" : "RSA") << " server, client of " << client->dir << ", " << groups
            << ", " << (version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2");
      }
    }
  }
}

std::string decoding_name(const ::testing::TestParamInfo<bool>& param) {
  return param.param ? "AsServe" : "OpenSsl";
}
INSTANTIATE_TEST_SUITE_P(KeyDecoding, Revocation, ::testing::Values(false, true), decoding_name);
INSTANTIATE_TEST_SUITE_P(KeyDecoding, ServerChain, ::testing::Values(false, true), decoding_name);

// On OpenSSL 3.0 the switch is real: a certificate's EC key comes out of the built-in method, with no
// provider behind it, and still describes itself.
// The main server certificate of `layout`, signed again by its CA with other dates.
void redate_server_cert(const pki::Layout& layout, long not_before_offset, long not_after_offset) {
  std::string pem = files::read_file(layout.dir / "server-cert.pem", "cert");
  pki::Bio in = pki::bio_from(pem);
  pki::Cert cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(cert);
  std::string ca_key_pem = files::read_file(layout.dir / "ca-key.pem", "ca key");
  pki::PKey ca_key = pki::key_from_pem(ca_key_pem, "ca-key.pem", std::nullopt);
  ASSERT_TRUE(X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_offset));
  ASSERT_TRUE(X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_offset));
  ASSERT_GT(X509_sign(cert.get(), ca_key.get(), EVP_sha256()), 0);
  pki::Bio out(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(out.get(), cert.get());
  std::ofstream(layout.dir / "server-cert.pem", std::ios::trunc) << pki::bio_text(out.get());
}

TEST(ServerCertificate, AnExpiredOrNotYetValidOneIsRefusedByName) {
  TempDir tmp;
  pki::Layout layout{tmp / "pki"};
  pki::init_pki(options_for(layout.dir));
  Files files = server_files(layout, layout.ca_cert().string(), false);
  EXPECT_NO_THROW(make_server_context(files));
  redate_server_cert(layout, -30L * 86400, -60);  // expired a minute ago
  try {
    make_server_context(files);
    FAIL() << "an expired server certificate was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--tlscert " + files.cert + " expired on "), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("dockgate certs renew server"), std::string::npos) << e.what();
  }
  redate_server_cert(layout, 3600, 30L * 86400);  // valid from an hour from now
  try {
    make_server_context(files);
    FAIL() << "a server certificate not yet valid was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not valid until"), std::string::npos) << e.what();
  }
}

TEST(BuiltinEcKeyDecoding, IsOnWithOpenSsl30AndDecodesWithoutAProvider) {
  TempDir tmp;
  pki::Layout l{tmp / "pki"};
  pki::init_pki(options_for(l.dir));
  std::string pem = files::read_file(l.client_dir("admin") / "cert.pem", "cert");
  auto key_of_certificate = [&] {
    pki::Bio in = pki::bio_from(pem);
    return pki::Cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  };
  pki::Cert before = key_of_certificate();
  ASSERT_TRUE(before);
  EXPECT_NE(EVP_PKEY_get0_provider(X509_get0_pubkey(before.get())), nullptr);

  KeyDecoding decided = use_builtin_ec_key_decoding();
  if (OpenSSL_version_num() >= 0x30100000L) {
    EXPECT_FALSE(decided.builtin_ec) << decided.why;
    return;
  }
  ASSERT_TRUE(decided.builtin_ec) << decided.why;
  pki::Cert after = key_of_certificate();
  ASSERT_TRUE(after);
  const EVP_PKEY* key = X509_get0_pubkey(after.get());
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get0_provider(key), nullptr);
  EXPECT_EQ(pki::describe_key(key), "ECDSA P-256");
  EXPECT_EQ(use_builtin_ec_key_decoding().why, decided.why);

  stop_builtin_ec_key_decoding();
  pki::Cert stopped = key_of_certificate();
  EXPECT_NE(EVP_PKEY_get0_provider(X509_get0_pubkey(stopped.get())), nullptr);
}

}  // namespace
}  // namespace dockgate::tls
