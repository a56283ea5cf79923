// SSL_CTX construction for `dockgate serve`. The reasons behind each setting are measured in issue 3:
// session-id context (without it every resumption attempt under client verification fails), no TLS 1.3
// tickets (docker clients never resume, and minting them costs 0.1-0.6 ms per handshake), released idle
// buffers (an idle connection should cost kilobytes, not the 34 KiB of two full record buffers), the CRL
// checked once when loaded rather than on every handshake, and a client's chain verified once per context
// rather than on every connection (issue 7).
#include "tls/context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <optional>

#include "error.hpp"
#include "files/batch.hpp"
#include "pki/certificate.hpp"
#include "pki/crl.hpp"
#include "pki/key.hpp"
#include "pki/openssl.hpp"
#include "tls/verified_chains.hpp"

namespace dockgate::tls {
namespace {

// TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3's defaults are all AEAD already.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// TLS 1.3 suites in the order Go's crypto/tls (dockerd, the docker CLI) prefers them on machines with AES
// instructions: AES-128-GCM first. OpenSSL's own order puts AES-256-GCM first, which costs more CPU per
// byte on both ends of a `docker save` (6 % on this project's machines, `openssl speed`; more without wide
// AES units) for no security a 128-bit key lacks.
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// Key exchange groups: those Go's crypto/tls offers (dockerd, the docker CLI). OpenSSL 3.0 would also take
// TLS 1.3's finite-field groups, and one ffdhe8192 handshake costs the gateway's single thread about 100
// times the CPU of X25519 before any certificate is checked: a cheap way to stall it.
constexpr const char* kGroups = "X25519:P-256:P-384";

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

// The revoked serials of the one CA that signs dockgate's CRLs, read when the context is built. OpenSSL's
// own CRL check (X509_V_FLAG_CRL_CHECK) verifies the CRL's signature again on every handshake: one more
// ECDSA or RSA verification per client, about 10 % of a handshake's CPU. The signature is checked once, at
// load (crl_from_pem); the verify callback below then only looks the serial up. The answers are the ones
// OpenSSL's check gives: revoked, CRL not yet valid or expired, and no CRL for a client of another CA in
// the bundle.
struct Revocations {
  pki::Cert issuer;
  std::vector<std::string> serials;  // serial_hex form, sorted
  std::time_t this_update = 0, next_update = 0;

  int check(STACK_OF(X509) * chain) const {
    if (sk_X509_num(chain) < 2 || X509_cmp(sk_X509_value(chain, 1), issuer.get()) != 0) {
      return X509_V_ERR_UNABLE_TO_GET_CRL;
    }
    std::time_t now = std::time(nullptr);
    if (now < this_update) return X509_V_ERR_CRL_NOT_YET_VALID;
    if (next_update != 0 && now > next_update) return X509_V_ERR_CRL_HAS_EXPIRED;
    std::string serial = pki::serial_hex(X509_get0_serialNumber(sk_X509_value(chain, 0)));
    return std::binary_search(serials.begin(), serials.end(), serial) ? X509_V_ERR_CERT_REVOKED : X509_V_OK;
  }
};

// What the verify callbacks consult, owned by the SSL_CTX (ex_data) and freed with it: a reload builds a
// new context, and with it an empty cache.
struct ClientChecks {
  std::optional<Revocations> revocations;
  VerifiedChains verified;
};

int checks_index() {
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr,
      [](void*, void* p, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<ClientChecks*>(p); });
  return index;
}

// The CRL's answer for a verified chain: X509_V_OK when there is no CRL or it does not list the client.
int revocation_error(const ClientChecks& checks, STACK_OF(X509) * chain) {
  return checks.revocations ? checks.revocations->check(chain) : X509_V_OK;
}

// Runs after OpenSSL's own checks of each certificate in the chain; only the client's own (depth 0) is
// looked up.
int verify_client(int ok, X509_STORE_CTX* store) {
  if (ok != 1 || X509_STORE_CTX_get_error_depth(store) != 0) return ok;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const auto* checks =
      ssl == nullptr
          ? nullptr
          : static_cast<const ClientChecks*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), checks_index()));
  if (checks == nullptr) return 1;
  int error = revocation_error(*checks, X509_STORE_CTX_get0_chain(store));
  if (error == X509_V_OK) return 1;
  X509_STORE_CTX_set_error(store, error);
  return 0;
}

// A chain the cache has seen verify: the client's certificate and the remembered issuers become the
// verified chain, and only the revocation check runs. Returns X509_verify_cert's kind of answer (1 or 0),
// or nullopt, leaving `store` as it was, if the chain cannot be assembled.
std::optional<int> accept_remembered(X509_STORE_CTX* store, const ClientChecks& checks, X509* leaf,
                                     std::vector<pki::Cert> issuers) {
  STACK_OF(X509)* chain = sk_X509_new_reserve(nullptr, static_cast<int>(issuers.size() + 1));
  if (chain == nullptr) return std::nullopt;
  X509_up_ref(leaf);
  sk_X509_push(chain, leaf);  // cannot fail: reserved
  for (auto& issuer : issuers) sk_X509_push(chain, issuer.release());
  X509_STORE_CTX_set0_verified_chain(store, chain);
  int error = revocation_error(checks, chain);
  X509_STORE_CTX_set_error_depth(store, 0);
  X509_STORE_CTX_set_current_cert(store, leaf);
  X509_STORE_CTX_set_error(store, error);
  return error == X509_V_OK ? 1 : 0;
}

// Replaces X509_verify_cert for client certificates (SSL_CTX_set_cert_verify_callback). A chain is
// verified in full the first time its certificates are presented; a success is remembered under the
// digests of what was presented, and later presentations of the same bytes reuse the issuers found, as
// long as every certificate in the chain is still within its dates. The CRL is checked every time.
// Everything else X509_verify_cert decides (signatures, purpose, depth, key strength, the trust store)
// follows from those bytes and from settings fixed for the life of this context. Failures are never
// remembered, so they are found, and worded, by OpenSSL every time.
int verify_chain(X509_STORE_CTX* store, void* arg) {
  auto& checks = *static_cast<ClientChecks*>(arg);
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  std::string key = presented_chain_key(leaf, X509_STORE_CTX_get0_untrusted(store));
  if (!key.empty()) {
    if (auto issuers = checks.verified.find(key, std::time(nullptr))) {
      if (std::optional<int> result = accept_remembered(store, checks, leaf, std::move(*issuers)))
        return *result;
    }
  }
  int ok = X509_verify_cert(store);
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(store);
  if (ok == 1 && !key.empty()) {
    if (std::optional<Validity> validity = chain_validity(chain)) {
      std::vector<X509*> issuers;
      for (int i = 1; i < sk_X509_num(chain); ++i) issuers.push_back(sk_X509_value(chain, i));
      checks.verified.remember(key, issuers, *validity);
    }
  }
  return ok;
}

}  // namespace

Context make_server_context(const Files& files) {
  ERR_clear_error();
  Context ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) fail("cannot create a TLS context");
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  if (SSL_CTX_set_cipher_list(c, kTls12Ciphers) != 1) fail("cannot set the TLS 1.2 ciphers");
  if (SSL_CTX_set_ciphersuites(c, kTls13Suites) != 1) fail("cannot set the TLS 1.3 cipher suites");
  if (SSL_CTX_set1_groups_list(c, kGroups) != 1) fail("cannot set the key exchange groups");
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET |
                             SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_num_tickets(c, 0);
  // Send the certificates in --tlscert (the server's own and any intermediates there), as dockerd does.
  // Without NO_AUTO_CHAIN OpenSSL completes the chain from the client CA store on every handshake: one
  // more signature verification per client (about a tenth of an ECDSA handshake's CPU) and the CA
  // certificate sent to clients that hold it already.
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN);
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
  // An expired (or not yet valid) server certificate fails nearly every client's handshake: refuse it at
  // start, and on a reload keep the one in force (the caller does, on this Error).
  std::time_t now = std::time(nullptr);
  std::optional<std::time_t> not_before = pki::to_time(X509_get0_notBefore(chain[0].get()));
  std::optional<std::time_t> not_after = pki::to_time(X509_get0_notAfter(chain[0].get()));
  if (not_after && *not_after <= now) {
    throw Error("--tlscert " + files.cert + " expired on " + pki::utc_text(*not_after) +
                ": renew it (dockgate certs renew server) and the gateway reloads it");
  }
  if (not_before && *not_before > now) {
    throw Error("--tlscert " + files.cert + " is not valid until " + pki::utc_text(*not_before) +
                ": check this host's clock, or issue it again");
  }
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
    auto checks = std::make_unique<ClientChecks>();
    if (!files.crl.empty()) {
      // Checked against the first CA, which signs dockgate's CRLs; a CRL from elsewhere is an error here
      // rather than a silent "every client revoked" at handshake time.
      std::string pem = files::read_file(files.crl, "--tlscrl");
      pki::Crl crl = pki::crl_from_pem(pem, files.crl, cas[0].get());
      Revocations& revocations = checks->revocations.emplace();
      X509_up_ref(cas[0].get());
      revocations.issuer.reset(cas[0].get());
      for (const auto& r : pki::crl_contents(crl.get()).revoked) revocations.serials.push_back(r.serial);
      std::sort(revocations.serials.begin(), revocations.serials.end());
      revocations.this_update = pki::to_time(X509_CRL_get0_lastUpdate(crl.get())).value_or(0);
      revocations.next_update = pki::to_time(X509_CRL_get0_nextUpdate(crl.get())).value_or(0);
    }
    ClientChecks* attached = checks.get();
    if (SSL_CTX_set_ex_data(c, checks_index(), attached) != 1) fail("cannot attach the client checks");
    (void)checks.release();  // owned by the context now; freed with it
    SSL_CTX_set_cert_verify_callback(c, verify_chain, attached);
    SSL_CTX_set_cert_store(c, store);
    // Go clients present a certificate only if its issuer is in this list; it also tells people which CA
    // the gateway wants.
    SSL_CTX_set_client_CA_list(c, names);
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_client);
    // Client certificates must be meant for clients (extendedKeyUsage clientAuth), as Go's server checks.
    SSL_CTX_set_purpose(c, X509_PURPOSE_SSL_CLIENT);
    SSL_CTX_set_verify_depth(c, 4);
  }
  return ctx;
}

const VerifiedChains* verified_chains(const Context& ctx) {
  const auto* checks = static_cast<const ClientChecks*>(SSL_CTX_get_ex_data(ctx.get(), checks_index()));
  return checks == nullptr ? nullptr : &checks->verified;
}

}  // namespace dockgate::tls
