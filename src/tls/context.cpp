// SSL_CTX construction for `dockgate serve`. The reasons behind each setting are measured in issue 3:
// session-id context (without it every resumption attempt under client verification fails), no TLS 1.3
// tickets (docker clients never resume, and minting them costs 0.1-0.6 ms per handshake), released idle
// buffers (an idle connection should cost kilobytes, not the 34 KiB of two full record buffers).
#include "tls/context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <optional>

#include "error.hpp"
#include "files/batch.hpp"
#include "pki/crl.hpp"
#include "pki/key.hpp"
#include "pki/openssl.hpp"

namespace dockgate::tls {
namespace {

// TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3's defaults are all AEAD already.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

[[noreturn]] void fail(const std::string& what) {
  throw Error(what + ": " + pki::openssl_errors());
}

// Every certificate in a PEM file (a CA bundle may hold several).
std::vector<pki::Cert> read_certs(const std::string& path, const std::string& what) {
  std::string text = files::read_file(path, what);
  pki::Bio bio = pki::bio_from(text);
  std::vector<pki::Cert> certs;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(c);
  ERR_clear_error();  // the read that ends the loop leaves "no start line" behind
  if (certs.empty()) {
    throw Error(what + " " + path + " holds no PEM certificate; point the flag at a file like ca.pem");
  }
  return certs;
}

}  // namespace

Context make_server_context(const Files& files) {
  ERR_clear_error();
  Context ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) fail("cannot create a TLS context");
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(c, kTls12Ciphers) != 1) fail("cannot set the TLS 1.2 ciphers");
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET |
                             SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_num_tickets(c, 0);
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
  // Read whole socket buffers instead of a record header and then its body: one read(2) per record or
  // fewer instead of two. Safe because every wait for readability first asks SSL_has_pending().
  SSL_CTX_set_read_ahead(c, 1);
  SSL_CTX_set_default_read_buffer_len(
      c, std::size_t{64} * 1024);  // up to four records per read(2); released when idle
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  static const unsigned char kSessionContext[] = "dockgate";
  SSL_CTX_set_session_id_context(c, kSessionContext, sizeof kSessionContext - 1);

  // The key pair, read by us so that errors name the flag and file.
  std::vector<pki::Cert> chain = read_certs(files.cert, "--tlscert");
  std::string key_pem = files::read_file(files.key, "--tlskey");
  pki::PKey key = pki::key_from_pem(key_pem, files.key, std::nullopt);
  if (SSL_CTX_use_certificate(c, chain[0].get()) != 1) fail("--tlscert " + files.cert + " is not usable");
  for (size_t i = 1; i < chain.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(c, chain[i].get()) != 1) fail("--tlscert " + files.cert + ": bad chain");
  }
  if (SSL_CTX_use_PrivateKey(c, key.get()) != 1 || SSL_CTX_check_private_key(c) != 1) {
    ERR_clear_error();
    throw Error("--tlskey " + files.key + " does not belong to the certificate in --tlscert " + files.cert);
  }

  if (files.verify_clients) {
    // The client CA pool is exactly this file: not the system store, which would let any public CA's
    // customer in.
    std::vector<pki::Cert> cas = read_certs(files.ca, "--tlscacert");
    X509_STORE* store = X509_STORE_new();
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    for (const auto& ca : cas) {
      X509_STORE_add_cert(store, ca.get());
      sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca.get())));
    }
    if (!files.crl.empty()) {
      // Checked against the first CA, which signs dockgate's CRLs; a CRL from elsewhere is an error here
      // rather than a silent "every client revoked" at handshake time.
      std::string pem = files::read_file(files.crl, "--tlscrl");
      pki::Crl crl = pki::crl_from_pem(pem, files.crl, cas[0].get());
      X509_STORE_add_crl(store, crl.get());
      X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);  // the client's certificate, not the CA's
    }
    SSL_CTX_set_cert_store(c, store);
    // Go clients present a certificate only if its issuer is in this list; it also tells people which CA
    // the gateway wants.
    SSL_CTX_set_client_CA_list(c, names);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    // Client certificates must be meant for clients (extendedKeyUsage clientAuth), as Go's server checks.
    SSL_CTX_set_purpose(c, X509_PURPOSE_SSL_CLIENT);
    SSL_CTX_set_verify_depth(c, 4);
  }
  return ctx;
}

}  // namespace dockgate::tls
