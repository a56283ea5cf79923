// OpenSSL 3.0 decodes the public key of every certificate it parses (the client's, on every handshake)
// through OSSL_DECODER_CTX_new_for_pkey, which walks every provider's decoders and key managers to build a
// decoder chain and throws it away afterwards: about 1.3 million instructions of the 5.9 million an ECDSA
// connection costs the gateway (callgrind, bench/RESULTS.md step 16). OpenSSL 3.1 made that set-up faster
// and 3.2 caches it (openssl/openssl#21426); Debian 12 ships 3.0. OpenSSL 3.0 still decodes a key the
// pre-provider way when an ENGINE is registered for its type (x509_pubkey_decode in
// crypto/x509/x_pubkey.c), and the key is then used through that ENGINE's key method. The ENGINE here
// offers libcrypto's own built-in EC method, so the key is parsed by the same code the provider's decoder
// calls (eckey_pub_decode) and its signatures are checked by the same ECDSA_verify: the results are
// OpenSSL's, only the dispatch is shorter.
#define OPENSSL_SUPPRESS_DEPRECATED  // the ENGINE API is deprecated in 3.0 and is the only way in
#include "tls/key_decoding.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslconf.h>
#include <openssl/provider.h>
#ifndef OPENSSL_NO_ENGINE
#include <openssl/engine.h>
#endif

#include "tls/decided_once.hpp"

namespace dockgate::tls {
namespace {

#ifndef OPENSSL_NO_ENGINE
EVP_PKEY_METHOD* builtin_ec_method = nullptr;  // a copy of libcrypto's, alive for the whole process
ENGINE* engine = nullptr;                      // made once, registered while in use

// The ENGINE's key-method table: EC only.
int ec_methods(ENGINE*, EVP_PKEY_METHOD** method, const int** nids, int nid) {
  static const int kNids[] = {EVP_PKEY_EC};
  if (method == nullptr) {
    *nids = kNids;
    return 1;
  }
  *method = nid == EVP_PKEY_EC ? builtin_ec_method : nullptr;
  return *method != nullptr ? 1 : 0;
}
#endif

KeyDecoding install() {
#ifdef OPENSSL_NO_ENGINE
  return {false, "this OpenSSL has no ENGINE support"};
#else
  if (OpenSSL_version_num() >= 0x30100000L) {
    return {false, "OpenSSL 3.1 and later decode certificate keys fast enough"};
  }
  // openssl.cnf may load the FIPS provider or an ENGINE; look only after it has been read.
  OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, nullptr);
  if (EVP_default_properties_is_fips_enabled(nullptr) == 1 || OSSL_PROVIDER_available(nullptr, "fips") == 1) {
    return {false, "the FIPS provider is in use"};
  }
  if (ENGINE* other = ENGINE_get_pkey_meth_engine(EVP_PKEY_EC)) {
    ENGINE_finish(other);
    return {false, "another ENGINE handles EC keys"};
  }
  if (engine == nullptr) {
    const EVP_PKEY_METHOD* builtin = EVP_PKEY_meth_find(EVP_PKEY_EC);
    if (builtin == nullptr) return {false, "libcrypto has no built-in EC key method"};
    if (builtin_ec_method == nullptr) builtin_ec_method = EVP_PKEY_meth_new(EVP_PKEY_EC, 0);
    if (builtin_ec_method == nullptr) return {false, "out of memory"};
    EVP_PKEY_meth_copy(builtin_ec_method, builtin);
    ENGINE* e = ENGINE_new();
    bool ok = e != nullptr && ENGINE_set_id(e, "dockgate-builtin-ec") == 1 &&
              ENGINE_set_name(e, "libcrypto's built-in EC key method") == 1 &&
              ENGINE_set_pkey_meths(e, ec_methods) == 1 && ENGINE_add(e) == 1;
    ENGINE_free(e);  // on the list, ENGINE_add's reference keeps it for the life of the process
    if (!ok) {
      ERR_clear_error();
      return {false, "OpenSSL refused the ENGINE"};
    }
    engine = e;
  }
  if (ENGINE_register_pkey_meths(engine) != 1) {
    ERR_clear_error();
    return {false, "OpenSSL refused the ENGINE"};
  }
  return {true, "OpenSSL 3.0: EC keys in certificates decoded with libcrypto's built-in method"};
#endif
}

DecidedOnce<KeyDecoding> decided;

}  // namespace

KeyDecoding use_builtin_ec_key_decoding() {
  return decided.get(install);
}

void stop_builtin_ec_key_decoding() {
  decided.reset([] {
#ifndef OPENSSL_NO_ENGINE
    // Unregistered, not removed: OpenSSL 3.0 crashed in SSL_CTX_new when an ENGINE was removed and another
    // one with the same key method added later in the same process.
    if (engine != nullptr) ENGINE_unregister_pkey_meths(engine);
#endif
  });
}

}  // namespace dockgate::tls
