// How `dockgate serve` encrypts and decrypts TLS records with AES-GCM: through an OpenSSL provider of its
// own whose AES-GCM is Intel's ipsec-mb (Debian's libipsec-mb1), which uses the VAES and VPCLMULQDQ
// instructions that OpenSSL 3.0's AES-GCM does not: 10.3-11.3 GB/s on one core of this project's machines
// against OpenSSL's 3.1-4.7, where AES-GCM had been a third of the gateway's CPU per byte of a `docker
// save` (bench/RESULTS.md, step 25). The protocol, the handshake and every other algorithm stay OpenSSL's,
// and so do TLS 1.2's records (handed to OpenSSL's own AES-GCM). No Asio here.
#pragma once

#include <string>

namespace dockgate::tls {

// The property query a server context fetches its algorithms with: the provider's AES-GCM where it is
// loaded, OpenSSL's own for everything else and wherever it is not.
inline constexpr const char* kRecordCipherQuery = "?provider=dockgate-gcm";

struct RecordCipher {
  bool ipsec_mb = false;  // AES-GCM records through ipsec-mb
  std::string why;        // what decided it, for the log
};

// Loads the provider into OpenSSL's default library context, once per process, if this processor has
// VAES, VPCLMULQDQ and AVX-512 (where ipsec-mb's AES-GCM is faster than OpenSSL's; elsewhere it is not),
// OpenSSL is not in FIPS mode (ipsec-mb is not the FIPS module), and the provider's AES-GCM agrees with
// OpenSSL's on a self-test of both key sizes, every length class and a forged tag. Otherwise nothing
// changes and `why` says which check decided. Later calls return the first answer.
RecordCipher use_ipsec_mb_gcm();

// The same without the processor check: the provider on whatever code ipsec-mb picks for this processor,
// fast or not. For tests, so that they check the provider (and the self-test) on any machine.
RecordCipher use_ipsec_mb_gcm_on_any_processor();

// Unloads the provider, so that tests sharing a process leave OpenSSL as they found it.
void stop_ipsec_mb_gcm();

}  // namespace dockgate::tls
