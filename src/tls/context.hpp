// The server's TLS configuration: one SSL_CTX built from the certificate, key and client CA files, with
// settings chosen once here rather than per connection. No Asio here; the CTX is shared by every
// connection accepted while it is current.
#pragma once

#include <memory>
#include <string>

struct ssl_ctx_st;

namespace dockgate::tls {

class VerifiedChains;

struct Files {
  std::string ca, cert, key;  // ca may be empty when clients are not verified
  std::string crl;            // revoked client certificates; empty for none
  bool verify_clients = true;
};

using Context = std::shared_ptr<ssl_ctx_st>;

// Loads and checks the files and builds the context: TLS 1.2 at least (1.3 preferred), ECDHE with AEAD
// ciphers only, client certificates required and verified against exactly `ca` with the clientAuth
// purpose, refused if `crl` lists them; a chain's signatures checked once per context for the same
// certificates (verified_chains.hpp); no session tickets. Throws Error naming the flag and file at fault,
// including a CRL that the CA did not sign.
Context make_server_context(const Files& files);

// The client chains `ctx` has verified and reuses (verified_chains.hpp); nullptr if it verifies no clients.
const VerifiedChains* verified_chains(const Context& ctx);

}  // namespace dockgate::tls
