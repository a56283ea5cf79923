// How `dockgate serve` has OpenSSL 3.0 decode the EC public keys in certificates: with libcrypto's built-in
// EC method instead of a provider decoder chain built anew for every client certificate. No Asio here.
//
// Cost and gain, in one place. Gain: that decoder set-up was a fifth of the CPU of every ECDSA handshake on
// Debian 12's OpenSSL 3.0 (5.94 → 4.62 million instructions per connection, bench/RESULTS.md step 16),
// which every `docker` command through the gateway pays. Cost: about 100 lines using OpenSSL's deprecated
// ENGINE API, an ordering rule (keys are generated before it is in place, see below), and a second way
// EC keys are dispatched (the checks and their results stay OpenSSL's own).
// Sunset: OpenSSL 3.1 made the decoder set-up fast and 3.2 caches it; this is already skipped there.
// Delete this file, its call in cli/serve.cpp and its tests once the oldest OpenSSL dockgate supports is
// 3.2 or later (Debian 13 ships 3.5).
#pragma once

#include <string>

namespace dockgate::tls {

struct KeyDecoding {
  bool builtin_ec = false;  // EC keys in certificates decoded by the built-in method
  std::string why;          // what decided it, for the log
};

// Registers, once per process, an OpenSSL ENGINE that offers libcrypto's own built-in EC key method, which
// makes OpenSSL 3.0 decode EC keys in certificates the pre-provider way and run their signature checks
// and ECDHE with the same built-in code. Certificate parsing and every verification result stay
// OpenSSL's own. Skipped (builtin_ec false) on OpenSSL 3.1 and later, whose decoders are fast, when the
// FIPS provider is in use (the built-in method is not the FIPS module), when another ENGINE already
// handles EC keys, and where OpenSSL has no ENGINE support. RSA and Ed25519 keys stay with the providers:
// with the same kind of ENGINE for them, OpenSSL 3.0.19 crashed in the server's RSA-PSS signature and
// failed every Ed25519 handshake (bench/RESULTS.md, step 16).
// Call before the first server context is built and after any key is generated: a key generated while
// the ENGINE is in place is a pre-provider key that X509_sign refuses ("command not supported"), which is
// why `dockgate certs` never calls this and `serve` calls it after creating its first PKI. Later calls
// return the first answer.
KeyDecoding use_builtin_ec_key_decoding();

// Undoes use_builtin_ec_key_decoding, so that tests sharing a process leave OpenSSL as they found it.
void stop_builtin_ec_key_decoding();

}  // namespace dockgate::tls
