// An OpenSSL 3 provider with two algorithms, AES-128-GCM and AES-256-GCM, computed by Intel's ipsec-mb. It
// implements the AEAD interface TLS 1.3's record layer drives (tls13_enc in OpenSSL 3.0): a key, then per
// record an IV, one piece of additional data, the record, and the tag made or checked at the end. TLS 1.2
// drives AES-GCM differently (the record's explicit nonce and tag handled inside the cipher, the "tls1"
// parameters); a context that is asked for that becomes a front for OpenSSL's own AES-GCM with the same
// key, so TLS 1.2 records are OpenSSL's work from end to end. Anything else it is asked to do fails, and
// the connection with it: a cipher that is unsure fails closed.
#include "tls/gcm_provider.hpp"

#include <intel-ipsec-mb.h>
#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <array>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "tls/decided_once.hpp"

namespace dockgate::tls {
namespace {

constexpr const char* kName = "dockgate-gcm";
constexpr std::size_t kIvLength = 12;  // the only IV length TLS uses with AES-GCM
constexpr std::size_t kTagLength = 16;
constexpr std::size_t kMaxAad = 32;  // TLS 1.3 authenticates the 5-byte record header

// ipsec-mb's AES-GCM for one key size, taken from its manager once (the functions are stateless: the key
// and the message's state are passed in).
struct Gcm {
  std::size_t key_length = 0;
  aes_gcm_pre_t expand = nullptr;
  aes_gcm_init_t init = nullptr;
  aes_gcm_enc_dec_update_t encrypt = nullptr, decrypt = nullptr;
  aes_gcm_enc_dec_finalize_t encrypt_tag = nullptr, decrypt_tag = nullptr;
  EVP_CIPHER* openssl = nullptr;  // OpenSSL's own AES-GCM of this size, for TLS 1.2 records
};
Gcm gcm128, gcm256;

// One direction of one connection: its key and the message in progress. The expanded key (1 KiB: the
// round keys and 48 powers of the hash key) is not kept here but in the thread's ExpandedKeys, so that an
// idle connection holds 32 bytes of key per direction, not a kilobyte.
struct Keyed {  // everything but the TLS 1.2 delegate: plain values, copied whole by dup_ctx
  gcm_context_data state;
  const Gcm* gcm = nullptr;
  std::uint64_t id = 0;  // names this key in ExpandedKeys; a new key gets a new id
  std::array<unsigned char, 32> key{};
  std::array<unsigned char, kIvLength> iv{};
  std::array<unsigned char, kTagLength> tag{};
  std::array<unsigned char, kMaxAad> aad{};
  std::size_t aad_length = 0;
  bool encrypting = false, key_set = false, iv_set = false, started = false, tag_set = false;
};
static_assert(std::is_trivially_copyable_v<Keyed>);

struct Context : Keyed {
  EVP_CIPHER_CTX* tls12 = nullptr;  // OpenSSL's AES-GCM, once TLS 1.2 parameters arrive

  explicit Context(const Gcm* g) { gcm = g; }
  Context(const Context& other) = delete;
  Context& operator=(const Context&) = delete;
  ~Context();
};

std::atomic<std::uint64_t> next_key_id{1};

// The expanded keys of the contexts this thread used last. Expanding a key costs about 125 ns, against
// 1.6 µs to encrypt a full record, so a bulk transfer (one or two keys in turn) expands once, and a
// kept-alive request at most once per direction; while the keys of 9,000 idle connections stay unexpanded.
struct ExpandedKeys {
  struct Slot {
    gcm_key_data data;  // 64-byte aligned by its type
    std::uint64_t id = 0;
    std::uint64_t used = 0;
  };
  std::array<Slot, 4> slots{};
  std::uint64_t clock = 0;

  const gcm_key_data& of(const Context& c) {
    Slot* victim = &slots[0];
    for (Slot& s : slots) {
      if (s.id == c.id) {
        s.used = ++clock;
        return s.data;
      }
      if (s.used < victim->used) victim = &s;
    }
    c.gcm->expand(c.key.data(), &victim->data);
    victim->id = c.id;
    victim->used = ++clock;
    return victim->data;
  }

  // A freed or re-keyed context's expansion is wiped here. If another thread used it too (dockgate runs one),
  // it stays there until that slot is reused. Trivially destructible on purpose: a context freed while the
  // process exits may still get here after the thread's objects are gone.
  void forget(std::uint64_t id) {
    for (Slot& s : slots) {
      if (s.id == id) {
        OPENSSL_cleanse(&s.data, sizeof s.data);
        s.id = 0;
        s.used = 0;
      }
    }
  }
};
constinit thread_local ExpandedKeys expanded;

Context::~Context() {
  if (key_set) expanded.forget(id);
  EVP_CIPHER_CTX_free(tls12);
  OPENSSL_cleanse(static_cast<void*>(this), sizeof *this);
}

Context* as_context(void* p) {
  return static_cast<Context*>(p);
}

// ipsec-mb takes the IV and the additional data together, when the message starts.
void start(Context& c) {
  c.gcm->init(&expanded.of(c), &c.state, c.iv.data(), c.aad.data(), c.aad_length);
  c.started = true;
}

// Makes `c` a front for OpenSSL's own AES-GCM with the same key and direction (TLS 1.2).
bool delegate(Context& c) {
  if (c.tls12 != nullptr) return true;
  if (!c.key_set) return false;
  c.tls12 = EVP_CIPHER_CTX_new();
  if (c.tls12 == nullptr || EVP_CipherInit_ex2(c.tls12, c.gcm->openssl, c.key.data(), nullptr,
                                               c.encrypting ? 1 : 0, nullptr) != 1) {
    EVP_CIPHER_CTX_free(std::exchange(c.tls12, nullptr));
    return false;
  }
  return true;
}

bool is_tls12_parameter(const OSSL_PARAM* p) {
  return OSSL_PARAM_locate_const(p, OSSL_CIPHER_PARAM_AEAD_TLS1_AAD) != nullptr ||
         OSSL_PARAM_locate_const(p, OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED) != nullptr ||
         OSSL_PARAM_locate_const(p, OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV) != nullptr;
}

int set_ctx_params(void* vctx, const OSSL_PARAM params[]) {
  Context& c = *as_context(vctx);
  if (params == nullptr) return 1;
  if (c.tls12 == nullptr && is_tls12_parameter(params) && !delegate(c)) return 0;
  if (c.tls12 != nullptr) return EVP_CIPHER_CTX_set_params(c.tls12, params);
  for (const OSSL_PARAM* p = params; p->key != nullptr; ++p) {
    if (std::strcmp(p->key, OSSL_CIPHER_PARAM_AEAD_IVLEN) == 0) {
      std::size_t length = 0;
      if (OSSL_PARAM_get_size_t(p, &length) != 1 || length != kIvLength) return 0;
    } else if (std::strcmp(p->key, OSSL_CIPHER_PARAM_AEAD_TAG) == 0) {
      // With bytes: the tag a decryption must find. Without: only the length, which must be 16.
      if (p->data_type != OSSL_PARAM_OCTET_STRING || p->data_size != kTagLength) return 0;
      if (p->data != nullptr) {
        if (c.encrypting) return 0;
        std::memcpy(c.tag.data(), p->data, kTagLength);
        c.tag_set = true;
      }
    }
    // Other parameters are not ours to interpret, as OpenSSL's own ciphers ignore unknown ones.
  }
  return 1;
}

int init(void* vctx, const unsigned char* key, std::size_t key_length, const unsigned char* iv,
         std::size_t iv_length, const OSSL_PARAM params[], bool encrypting) {
  Context& c = *as_context(vctx);
  c.encrypting = encrypting;
  if (key != nullptr) {
    if (key_length != c.gcm->key_length) return 0;
    if (c.key_set) expanded.forget(c.id);
    std::memcpy(c.key.data(), key, key_length);
    c.id = next_key_id++;
    c.key_set = true;
  }
  if (c.tls12 != nullptr) {
    return EVP_CipherInit_ex2(c.tls12, nullptr, key, iv, encrypting ? 1 : 0, params);
  }
  if (iv != nullptr) {
    if (iv_length != kIvLength) return 0;
    std::memcpy(c.iv.data(), iv, kIvLength);
    c.iv_set = true;
    c.started = false;
    c.tag_set = false;
    c.aad_length = 0;
  }
  return set_ctx_params(vctx, params);
}

int encrypt_init(void* c, const unsigned char* key, std::size_t kl, const unsigned char* iv, std::size_t il,
                 const OSSL_PARAM params[]) {
  return init(c, key, kl, iv, il, params, true);
}

int decrypt_init(void* c, const unsigned char* key, std::size_t kl, const unsigned char* iv, std::size_t il,
                 const OSSL_PARAM params[]) {
  return init(c, key, kl, iv, il, params, false);
}

// Additional data when `out` is null, else the message itself; in place or not.
int update(void* vctx, unsigned char* out, std::size_t* outl, std::size_t outsize, const unsigned char* in,
           std::size_t inl) {
  Context& c = *as_context(vctx);
  if (c.tls12 != nullptr) {
    int n = 0;
    if (inl > INT_MAX || EVP_CipherUpdate(c.tls12, out, &n, in, static_cast<int>(inl)) != 1) return 0;
    *outl = static_cast<std::size_t>(n);
    return 1;
  }
  if (!c.key_set || !c.iv_set) return 0;
  if (out == nullptr) {
    if (c.started || inl > kMaxAad - c.aad_length) return 0;
    if (inl > 0) std::memcpy(c.aad.data() + c.aad_length, in, inl);
    c.aad_length += inl;
    *outl = inl;
    return 1;
  }
  if (outsize < inl) return 0;
  // In place, or apart: ipsec-mb, like OpenSSL's own ciphers, cannot work on buffers that partly overlap.
  auto o = reinterpret_cast<std::uintptr_t>(out), i = reinterpret_cast<std::uintptr_t>(in);
  if (o != i && o < i + inl && i < o + inl) return 0;
  if (!c.started) start(c);
  if (inl > 0) (c.encrypting ? c.gcm->encrypt : c.gcm->decrypt)(&expanded.of(c), &c.state, out, in, inl);
  *outl = inl;
  return 1;
}

// Makes the tag (encryption) or checks it in constant time (decryption). Either way the IV is spent: the
// next message needs a new one, so no IV is ever used twice with the key.
int final(void* vctx, unsigned char* out, std::size_t* outl, std::size_t outsize) {
  Context& c = *as_context(vctx);
  if (c.tls12 != nullptr) {
    int n = 0;
    if (EVP_CipherFinal_ex(c.tls12, out, &n) != 1) return 0;
    *outl = static_cast<std::size_t>(n);
    return 1;
  }
  (void)outsize;
  if (!c.key_set || !c.iv_set || (!c.encrypting && !c.tag_set)) return 0;
  if (!c.started) start(c);
  c.iv_set = false;
  *outl = 0;
  if (c.encrypting) {
    c.gcm->encrypt_tag(&expanded.of(c), &c.state, c.tag.data(), kTagLength);
    c.tag_set = true;
    return 1;
  }
  std::array<unsigned char, kTagLength> computed{};
  c.gcm->decrypt_tag(&expanded.of(c), &c.state, computed.data(), kTagLength);
  bool good = CRYPTO_memcmp(computed.data(), c.tag.data(), kTagLength) == 0;
  OPENSSL_cleanse(computed.data(), computed.size());
  c.tag_set = false;
  return good ? 1 : 0;
}

// EVP_Cipher: TLS 1.2's whole-record call once delegated; otherwise update, or final when `in` is null.
int cipher(void* vctx, unsigned char* out, std::size_t* outl, std::size_t outsize, const unsigned char* in,
           std::size_t inl) {
  Context& c = *as_context(vctx);
  if (c.tls12 != nullptr) {
    if (inl > UINT_MAX) return 0;
    int n = EVP_Cipher(c.tls12, out, in, static_cast<unsigned>(inl));
    if (n < 0) return 0;
    *outl = static_cast<std::size_t>(n);
    return 1;
  }
  return in == nullptr ? final(vctx, out, outl, outsize) : update(vctx, out, outl, outsize, in, inl);
}

int get_ctx_params(void* vctx, OSSL_PARAM params[]) {
  Context& c = *as_context(vctx);
  if (c.tls12 != nullptr) return EVP_CIPHER_CTX_get_params(c.tls12, params);
  OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN);
  if (p != nullptr && OSSL_PARAM_set_size_t(p, c.gcm->key_length) != 1) return 0;
  p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN);
  if (p != nullptr && OSSL_PARAM_set_size_t(p, kIvLength) != 1) return 0;
  p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD_TAGLEN);
  if (p != nullptr && OSSL_PARAM_set_size_t(p, kTagLength) != 1) return 0;
  p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_AEAD_TAG);
  if (p != nullptr) {
    // Only an encryption's finished tag, whole.
    if (!c.encrypting || !c.tag_set || p->data_size != kTagLength) return 0;
    if (OSSL_PARAM_set_octet_string(p, c.tag.data(), kTagLength) != 1) return 0;
  }
  return 1;
}

void* dup_ctx(void* vctx) {
  const Context& from = *as_context(vctx);
  auto* to = new (std::nothrow) Context(from.gcm);
  if (to == nullptr) return nullptr;
  static_cast<Keyed&>(*to) = from;  // the same key and id, so the same expansion
  if (from.tls12 != nullptr) {
    to->tls12 = EVP_CIPHER_CTX_new();
    if (to->tls12 == nullptr || EVP_CIPHER_CTX_copy(to->tls12, from.tls12) != 1) {
      delete to;
      return nullptr;
    }
  }
  return to;
}

void free_ctx(void* vctx) {
  delete as_context(vctx);
}

template <const Gcm& G>
void* new_ctx(void*) {
  return new (std::nothrow) Context(&G);
}

// What EVP caches about the algorithm (evp_cipher_cache_constants): the flags of OpenSSL's own AES-GCM.
template <const Gcm& G>
int get_params(OSSL_PARAM params[]) {
  struct {
    const char* key;
    std::size_t value;
  } sizes[] = {{OSSL_CIPHER_PARAM_KEYLEN, G.key_length},
               {OSSL_CIPHER_PARAM_IVLEN, kIvLength},
               {OSSL_CIPHER_PARAM_BLOCK_SIZE, 1}};
  for (const auto& s : sizes) {
    OSSL_PARAM* p = OSSL_PARAM_locate(params, s.key);
    if (p != nullptr && OSSL_PARAM_set_size_t(p, s.value) != 1) return 0;
  }
  OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_MODE);
  if (p != nullptr && OSSL_PARAM_set_uint(p, EVP_CIPH_GCM_MODE) != 1) return 0;
  struct {
    const char* key;
    int value;
  } flags[] = {{OSSL_CIPHER_PARAM_AEAD, 1},
               {OSSL_CIPHER_PARAM_CUSTOM_IV, 1},
               {OSSL_CIPHER_PARAM_CTS, 0},
               {OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK, 0},
               {OSSL_CIPHER_PARAM_HAS_RAND_KEY, 0}};
  for (const auto& f : flags) {
    p = OSSL_PARAM_locate(params, f.key);
    if (p != nullptr && OSSL_PARAM_set_int(p, f.value) != 1) return 0;
  }
  return 1;
}

const OSSL_PARAM* gettable_params(void*) {
  static const OSSL_PARAM table[] = {OSSL_PARAM_uint(OSSL_CIPHER_PARAM_MODE, nullptr),
                                     OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, nullptr),
                                     OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, nullptr),
                                     OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_BLOCK_SIZE, nullptr),
                                     OSSL_PARAM_int(OSSL_CIPHER_PARAM_AEAD, nullptr),
                                     OSSL_PARAM_int(OSSL_CIPHER_PARAM_CUSTOM_IV, nullptr),
                                     OSSL_PARAM_int(OSSL_CIPHER_PARAM_CTS, nullptr),
                                     OSSL_PARAM_int(OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK, nullptr),
                                     OSSL_PARAM_int(OSSL_CIPHER_PARAM_HAS_RAND_KEY, nullptr),
                                     OSSL_PARAM_END};
  return table;
}

const OSSL_PARAM* gettable_ctx_params(void*, void*) {
  static const OSSL_PARAM table[] = {
      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, nullptr),
      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, nullptr),
      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TAGLEN, nullptr),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, nullptr, 0),
      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD_PAD, nullptr),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN, nullptr, 0),
      OSSL_PARAM_END};
  return table;
}

const OSSL_PARAM* settable_ctx_params(void*, void*) {
  static const OSSL_PARAM table[] = {
      OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, nullptr),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, nullptr, 0),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD, nullptr, 0),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, nullptr, 0),
      OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV, nullptr, 0),
      OSSL_PARAM_END};
  return table;
}

using Function = void (*)();
template <typename F>
Function fn(F f) {
  return reinterpret_cast<Function>(f);  // OpenSSL's dispatch tables take every function as void(*)()
}

template <const Gcm& G>
const OSSL_DISPATCH* functions() {
  static const OSSL_DISPATCH table[] = {{OSSL_FUNC_CIPHER_NEWCTX, fn(&new_ctx<G>)},
                                        {OSSL_FUNC_CIPHER_FREECTX, fn(&free_ctx)},
                                        {OSSL_FUNC_CIPHER_DUPCTX, fn(&dup_ctx)},
                                        {OSSL_FUNC_CIPHER_ENCRYPT_INIT, fn(&encrypt_init)},
                                        {OSSL_FUNC_CIPHER_DECRYPT_INIT, fn(&decrypt_init)},
                                        {OSSL_FUNC_CIPHER_UPDATE, fn(&update)},
                                        {OSSL_FUNC_CIPHER_FINAL, fn(&final)},
                                        {OSSL_FUNC_CIPHER_CIPHER, fn(&cipher)},
                                        {OSSL_FUNC_CIPHER_GET_PARAMS, fn(&get_params<G>)},
                                        {OSSL_FUNC_CIPHER_GET_CTX_PARAMS, fn(&get_ctx_params)},
                                        {OSSL_FUNC_CIPHER_SET_CTX_PARAMS, fn(&set_ctx_params)},
                                        {OSSL_FUNC_CIPHER_GETTABLE_PARAMS, fn(&gettable_params)},
                                        {OSSL_FUNC_CIPHER_GETTABLE_CTX_PARAMS, fn(&gettable_ctx_params)},
                                        {OSSL_FUNC_CIPHER_SETTABLE_CTX_PARAMS, fn(&settable_ctx_params)},
                                        {0, nullptr}};
  return table;
}

// The names OpenSSL's default provider gives the same algorithms, so that a fetch by any of them finds both.
const OSSL_ALGORITHM* query(void*, int operation, int* no_store) {
  static const OSSL_ALGORITHM ciphers[] = {
      {"AES-128-GCM:id-aes128-GCM:2.16.840.1.101.3.4.1.6", "provider=dockgate-gcm", functions<gcm128>(),
       "AES-128-GCM computed by ipsec-mb"},
      {"AES-256-GCM:id-aes256-GCM:2.16.840.1.101.3.4.1.46", "provider=dockgate-gcm", functions<gcm256>(),
       "AES-256-GCM computed by ipsec-mb"},
      {nullptr, nullptr, nullptr, nullptr}};
  *no_store = 0;
  return operation == OSSL_OP_CIPHER ? ciphers : nullptr;
}

int provider_init(const OSSL_CORE_HANDLE*, const OSSL_DISPATCH*, const OSSL_DISPATCH** out, void** provctx) {
  static const OSSL_DISPATCH table[] = {{OSSL_FUNC_PROVIDER_QUERY_OPERATION, fn(&query)}, {0, nullptr}};
  *out = table;
  *provctx = &gcm128;  // unused, but must not be null
  return 1;
}

// One AES-GCM message through `cipher`: `text` encrypted with `aad` (or decrypted, checking `tag`), split
// into two updates at `split`. Returns the output and, for an encryption, the tag; nullopt on failure.
std::optional<std::vector<unsigned char>> seal_or_open(
    const EVP_CIPHER* cipher, bool encrypt, const std::vector<unsigned char>& key,
    const std::vector<unsigned char>& iv, const std::vector<unsigned char>& aad,
    const std::vector<unsigned char>& text, std::size_t split, std::array<unsigned char, kTagLength>& tag) {
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  std::vector<unsigned char> out(text.size());
  int n = 0;
  int e = encrypt ? 1 : 0;
  if (!ctx || EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), iv.data(), e, nullptr) != 1)
    return std::nullopt;
  if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, kTagLength, tag.data()) != 1) {
    return std::nullopt;
  }
  if (EVP_CipherUpdate(ctx.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1)
    return std::nullopt;
  std::size_t done = 0;
  for (std::size_t piece : {split, text.size() - split}) {
    if (piece == 0) continue;
    if (EVP_CipherUpdate(ctx.get(), out.data() + done, &n, text.data() + done, static_cast<int>(piece)) !=
        1) {
      return std::nullopt;
    }
    done += static_cast<std::size_t>(n);
  }
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + done, &n) != 1) return std::nullopt;
  if (encrypt && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, kTagLength, tag.data()) != 1) {
    return std::nullopt;
  }
  return out;
}

// The provider's AES-GCM against OpenSSL's on random keys, IVs and messages of every length class (empty,
// under a block, block edges, TLS records), in one update and in two: the same ciphertext and tag, the
// text back, and a changed tag refused.
bool agrees_with_openssl(const EVP_CIPHER* ours, const EVP_CIPHER* theirs, std::size_t key_length) {
  for (std::size_t length : {0, 1, 15, 16, 17, 255, 256, 4101, 16385, 16401}) {
    std::vector<unsigned char> key(key_length), iv(kIvLength), aad(5), text(length);
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1 || RAND_bytes(iv.data(), kIvLength) != 1 ||
        RAND_bytes(aad.data(), 5) != 1 ||
        (length > 0 && RAND_bytes(text.data(), static_cast<int>(length)) != 1)) {
      return false;
    }
    std::size_t split = length / 3;
    std::array<unsigned char, kTagLength> our_tag{}, their_tag{};
    auto sealed = seal_or_open(ours, true, key, iv, aad, text, split, our_tag);
    auto expected = seal_or_open(theirs, true, key, iv, aad, text, 0, their_tag);
    if (!sealed || !expected || *sealed != *expected || our_tag != their_tag) return false;
    auto opened = seal_or_open(ours, false, key, iv, aad, *sealed, length - split, our_tag);
    if (!opened || *opened != text) return false;
    our_tag[length % kTagLength] ^= 1;
    if (seal_or_open(ours, false, key, iv, aad, *sealed, 0, our_tag)) return false;
  }
  return true;
}

bool take_functions(const IMB_MGR& m) {
  gcm128 = {16,
            m.gcm128_pre,
            m.gcm128_init,
            m.gcm128_enc_update,
            m.gcm128_dec_update,
            m.gcm128_enc_finalize,
            m.gcm128_dec_finalize,
            gcm128.openssl};
  gcm256 = {32,
            m.gcm256_pre,
            m.gcm256_init,
            m.gcm256_enc_update,
            m.gcm256_dec_update,
            m.gcm256_enc_finalize,
            m.gcm256_dec_finalize,
            gcm256.openssl};
  for (const Gcm* g : {&gcm128, &gcm256}) {
    if (g->expand == nullptr || g->init == nullptr || g->encrypt == nullptr || g->decrypt == nullptr ||
        g->encrypt_tag == nullptr || g->decrypt_tag == nullptr) {
      return false;
    }
  }
  return true;
}

OSSL_PROVIDER* loaded = nullptr;
bool registered = false;  // OpenSSL keeps a built-in provider's name for the life of the process

RecordCipher install(bool any_processor) {
  // openssl.cnf may turn FIPS mode on; look only after it has been read.
  OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, nullptr);
  if (EVP_default_properties_is_fips_enabled(nullptr) == 1 || OSSL_PROVIDER_available(nullptr, "fips") == 1) {
    return {false, "the FIPS provider is in use"};
  }
  IMB_MGR* manager = alloc_mb_mgr(0);
  if (manager == nullptr) return {false, "ipsec-mb could not start"};
  IMB_ARCH arch = IMB_ARCH_NONE;
  init_mb_mgr_auto(manager, &arch);
  constexpr std::uint64_t kWide = IMB_FEATURE_VAES | IMB_FEATURE_VPCLMULQDQ | IMB_FEATURE_AVX512_SKX;
  bool wide = arch == IMB_ARCH_AVX512 && (manager->features & kWide) == kWide;
  if (!wide && !any_processor) {
    free_mb_mgr(manager);
    return {false, "this processor lacks VAES, VPCLMULQDQ or AVX-512: OpenSSL's AES-GCM is as fast"};
  }
  bool taken = take_functions(*manager);
  free_mb_mgr(manager);
  if (!taken) return {false, "ipsec-mb offers no AES-GCM functions"};

  // OpenSSL's own AES-GCM, fetched before the provider is loaded: that also activates the default provider
  // where no configuration loaded one, which loading another provider first would prevent.
  EVP_CIPHER_free(gcm128.openssl);
  EVP_CIPHER_free(gcm256.openssl);
  gcm128.openssl = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", "provider=default");
  gcm256.openssl = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", "provider=default");
  if (gcm128.openssl == nullptr || gcm256.openssl == nullptr) {
    ERR_clear_error();
    return {false, "OpenSSL's default provider has no AES-GCM"};
  }
  if (!registered) registered = OSSL_PROVIDER_add_builtin(nullptr, kName, provider_init) == 1;
  if (!registered || (loaded = OSSL_PROVIDER_load(nullptr, kName)) == nullptr) {
    ERR_clear_error();
    return {false, "OpenSSL refused the provider"};
  }
  EVP_CIPHER* ours128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", "provider=dockgate-gcm");
  EVP_CIPHER* ours256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", "provider=dockgate-gcm");
  bool agrees = ours128 != nullptr && ours256 != nullptr &&
                agrees_with_openssl(ours128, gcm128.openssl, 16) &&
                agrees_with_openssl(ours256, gcm256.openssl, 32);
  EVP_CIPHER_free(ours128);
  EVP_CIPHER_free(ours256);
  if (!agrees) {
    ERR_clear_error();
    OSSL_PROVIDER_unload(std::exchange(loaded, nullptr));
    return {false, "ipsec-mb's AES-GCM failed the self-test against OpenSSL's"};
  }
  return {true, std::string("AES-GCM records through ipsec-mb ") + imb_get_version_str() +
                    (wide ? " (VAES, AVX-512)" : " (without VAES: not faster than OpenSSL here)")};
}

DecidedOnce<RecordCipher> decided;

}  // namespace

RecordCipher use_ipsec_mb_gcm() {
  return decided.get([] { return install(false); });
}

RecordCipher use_ipsec_mb_gcm_on_any_processor() {
  return decided.get([] { return install(true); });
}

void stop_ipsec_mb_gcm() {
  decided.reset([] {
    if (loaded != nullptr) OSSL_PROVIDER_unload(std::exchange(loaded, nullptr));
  });
}

}  // namespace dockgate::tls
