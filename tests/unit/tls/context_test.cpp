#include "tls/context.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fstream>

#include "../support.hpp"
#include "files/batch.hpp"
#include "pki/authority.hpp"

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

// Runs a whole handshake in memory between a client holding DIR/clients/NAME's files and a server on
// `server`, and returns the server's verify result, or -1 when the handshake failed for another reason.
// `sent`, when given, receives how many certificates the server sent.
long handshake(const Context& server, const fs::path& client_dir, int* sent = nullptr) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> cctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
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
      if (sent != nullptr) *sent = sk_X509_num(SSL_get_peer_cert_chain(client.get()));
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

class Revocation : public ::testing::Test {
 protected:
  void SetUp() override {
    pki::init_pki(options_for(a_.dir));
    pki::Authority ca(a_, std::nullopt);
    ca.issue_client("laptop", {}, pki::KeyType::ecdsa_p256, 30, false);
    (void)ca.revoke("laptop");
    pki::init_pki(options_for(b_.dir));
    std::ofstream(bundle_) << files::read_file(a_.ca_cert(), "ca") << files::read_file(b_.ca_cert(), "ca");
  }
  TempDir tmp_;
  pki::Layout a_{tmp_ / "a"}, b_{tmp_ / "b"};
  fs::path bundle_ = tmp_ / "bundle.pem";
};

TEST_F(Revocation, AClientTheCrlListsIsRefusedAndOthersPass) {
  Context server = make_server_context(server_files(a_, a_.ca_cert().string(), true));
  EXPECT_EQ(handshake(server, a_.client_dir("admin")), X509_V_OK);
  EXPECT_EQ(handshake(server, a_.revoked_dir() / fs::directory_iterator(a_.revoked_dir())->path().filename()),
            X509_V_ERR_CERT_REVOKED);
}

TEST_F(Revocation, WithoutTheCrlTheRevokedClientPasses) {
  Context server = make_server_context(server_files(a_, a_.ca_cert().string(), false));
  EXPECT_EQ(handshake(server, a_.revoked_dir() / fs::directory_iterator(a_.revoked_dir())->path().filename()),
            X509_V_OK);
}

TEST_F(Revocation, AClientOfAnotherBundledCaHasNoCrlAndIsRefused) {
  // As OpenSSL's own CRL check answers: the CRL covers the first CA only, so its absence for the second
  // fails closed rather than letting that CA's revoked clients in.
  Context with_crl = make_server_context(server_files(a_, bundle_.string(), true));
  EXPECT_EQ(handshake(with_crl, b_.client_dir("admin")), X509_V_ERR_UNABLE_TO_GET_CRL);
  EXPECT_EQ(handshake(with_crl, a_.client_dir("admin")), X509_V_OK);
  Context without = make_server_context(server_files(a_, bundle_.string(), false));
  EXPECT_EQ(handshake(without, b_.client_dir("admin")), X509_V_OK);
}

TEST_F(Revocation, AClientOfAnUnknownCaIsRefusedBeforeAnyLookup) {
  Context server = make_server_context(server_files(a_, a_.ca_cert().string(), true));
  EXPECT_EQ(handshake(server, b_.client_dir("admin")), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

// Like dockerd, the server sends the certificates in --tlscert and nothing more. OpenSSL would otherwise
// complete the chain from the client CA store on every handshake: a signature verification per client
// and the CA certificate sent to clients that have it already.
class ServerChain : public Revocation {};

TEST_F(ServerChain, IsTheCertificatesOfItsFileOnly) {
  auto plain = make_server_context(server_files(a_, a_.ca_cert().string(), false));
  int sent = 0;
  ASSERT_EQ(handshake(plain, a_.client_dir("admin"), &sent), X509_V_OK);
  EXPECT_EQ(sent, 1);

  fs::path with_chain = tmp_ / "server-chain.pem";
  std::ofstream(with_chain) << files::read_file(a_.dir / "server-cert.pem", "cert")
                            << files::read_file(a_.ca_cert(), "ca");
  Files f = server_files(a_, a_.ca_cert().string(), false);
  f.cert = with_chain.string();
  auto chained = make_server_context(f);
  ASSERT_EQ(handshake(chained, a_.client_dir("admin"), &sent), X509_V_OK);
  EXPECT_EQ(sent, 2);
}

}  // namespace
}  // namespace dockgate::tls
