// The provider's AES-GCM against OpenSSL's own, through the EVP interface libssl uses. The TLS records
// themselves (1.2 and 1.3, a forged one) are tested with a real client in stream_test.cpp.
#include "tls/gcm_provider.hpp"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace dockgate::tls {
namespace {

using Bytes = std::vector<unsigned char>;
using Cipher = std::unique_ptr<EVP_CIPHER, decltype(&EVP_CIPHER_free)>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

Bytes random_bytes(std::size_t n) {
  Bytes b(n);
  if (n > 0) {
    EXPECT_EQ(RAND_bytes(b.data(), static_cast<int>(n)), 1);
  }
  return b;
}

Cipher fetch(const char* name, const char* query) {
  return {EVP_CIPHER_fetch(nullptr, name, query), EVP_CIPHER_free};
}

// One message: `text` sealed (or opened, checking `tag`) with `aad`, fed in the pieces `cuts` makes, in
// place when `in_place`. Returns the output, or nullopt when a call failed (a refused tag, for an opening).
std::optional<Bytes> crypt(EVP_CIPHER_CTX* ctx, bool seal, const Bytes& iv, const Bytes& aad,
                           const Bytes& text, const std::vector<std::size_t>& cuts,
                           std::array<unsigned char, 16>& tag, bool in_place = false) {
  int n = 0;
  if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, iv.data(), seal ? 1 : 0, nullptr) != 1) return std::nullopt;
  if (!seal && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag.data()) != 1) return std::nullopt;
  if (!aad.empty() && EVP_CipherUpdate(ctx, nullptr, &n, aad.data(), static_cast<int>(aad.size())) != 1) {
    return std::nullopt;
  }
  Bytes out = text;
  unsigned char* to = in_place ? out.data() : nullptr;
  Bytes separate(text.size());
  if (!in_place) to = separate.data();
  std::size_t from = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(text.size());
  for (std::size_t end : ends) {
    if (end <= from) continue;
    const unsigned char* in = in_place ? out.data() + from : text.data() + from;
    if (EVP_CipherUpdate(ctx, to + from, &n, in, static_cast<int>(end - from)) != 1) return std::nullopt;
    EXPECT_EQ(static_cast<std::size_t>(n), end - from);
    from = end;
  }
  if (EVP_CipherFinal_ex(ctx, to + from, &n) != 1) return std::nullopt;
  if (seal && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag.data()) != 1) return std::nullopt;
  return in_place ? out : separate;
}

CipherCtx keyed(const EVP_CIPHER* cipher, const Bytes& key, bool seal) {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  EXPECT_EQ(EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), nullptr, seal ? 1 : 0, nullptr), 1);
  return ctx;
}

class GcmProvider : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    RecordCipher cipher = use_ipsec_mb_gcm_on_any_processor();
    ASSERT_TRUE(cipher.ipsec_mb) << cipher.why;
    name_ = GetParam() == 16 ? "AES-128-GCM" : "AES-256-GCM";
    ours_ = fetch(name_, "provider=dockgate-gcm");
    theirs_ = fetch(name_, "provider=default");
    ASSERT_TRUE(ours_ && theirs_);
    key_ = random_bytes(static_cast<std::size_t>(GetParam()));
  }
  void TearDown() override { stop_ipsec_mb_gcm(); }

  // Seals `text` with both implementations and checks they agree, that ours opens it again, and that a
  // changed tag, ciphertext byte or additional data is refused.
  void check(const Bytes& text, const Bytes& aad, const std::vector<std::size_t>& cuts, bool in_place) {
    SCOPED_TRACE("length " + std::to_string(text.size()) + ", aad " + std::to_string(aad.size()) +
                 (in_place ? ", in place" : ""));
    Bytes iv = random_bytes(12);
    std::array<unsigned char, 16> our_tag{}, their_tag{};
    auto sealed = crypt(keyed(ours_.get(), key_, true).get(), true, iv, aad, text, cuts, our_tag, in_place);
    auto expected = crypt(keyed(theirs_.get(), key_, true).get(), true, iv, aad, text, {}, their_tag);
    ASSERT_TRUE(sealed && expected);
    EXPECT_EQ(*sealed, *expected);
    EXPECT_EQ(our_tag, their_tag);
    CipherCtx opener = keyed(ours_.get(), key_, false);
    auto opened = crypt(opener.get(), false, iv, aad, *sealed, cuts, our_tag, in_place);
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, text);

    auto bad_tag = our_tag;
    bad_tag[text.size() % 16] ^= 0x01;
    EXPECT_FALSE(crypt(opener.get(), false, iv, aad, *sealed, {}, bad_tag));
    if (!text.empty()) {
      Bytes bad_text = *sealed;
      bad_text[text.size() / 2] ^= 0x80;
      EXPECT_FALSE(crypt(opener.get(), false, iv, aad, bad_text, {}, our_tag));
    }
    Bytes bad_aad = aad;
    bad_aad.push_back(0);
    EXPECT_FALSE(crypt(opener.get(), false, iv, bad_aad, *sealed, {}, our_tag));
  }

  const char* name_ = nullptr;
  Cipher ours_{nullptr, EVP_CIPHER_free}, theirs_{nullptr, EVP_CIPHER_free};
  Bytes key_;
};

TEST_P(GcmProvider, AgreesWithOpenSslOnEveryShortLength) {
  Bytes aad = random_bytes(5);  // a TLS 1.3 record header
  for (std::size_t length = 0; length <= 300; ++length) check(random_bytes(length), aad, {}, false);
}

TEST_P(GcmProvider, AgreesWithOpenSslAcrossBlocksRecordsAndPieces) {
  std::mt19937 random(7);
  for (std::size_t length : {511, 512, 513, 4095, 4096, 4097, 16383, 16384, 16385, 16401, 65536, 70001}) {
    for (std::size_t aad_length : {0, 5, 13, 32}) {
      Bytes text = random_bytes(length), aad = random_bytes(aad_length);
      std::size_t a = random() % (length + 1), b = random() % (length + 1);
      check(text, aad, {}, false);
      check(text, aad, {std::min(a, b), std::max(a, b)}, false);  // three pieces at odd offsets
      check(text, aad, {a}, true);
    }
  }
}

TEST_P(GcmProvider, KeepsManyKeysApartWhenTheyTakeTurns) {
  // More contexts than the thread keeps expanded keys for, each sealing in turn, each record checked
  // against OpenSSL: an eviction must never leave a context with another's key.
  std::vector<Bytes> keys;
  std::vector<CipherCtx> ours, theirs;
  for (int i = 0; i < 11; ++i) {
    keys.push_back(random_bytes(static_cast<std::size_t>(GetParam())));
    ours.push_back(keyed(ours_.get(), keys.back(), true));
    theirs.push_back(keyed(theirs_.get(), keys.back(), true));
  }
  Bytes aad = random_bytes(5);
  for (int round = 0; round < 5; ++round) {
    for (std::size_t i = 0; i < keys.size(); i += 1 + round % 3) {
      Bytes iv = random_bytes(12), text = random_bytes(1000 + i);
      std::array<unsigned char, 16> our_tag{}, their_tag{};
      auto sealed = crypt(ours[i].get(), true, iv, aad, text, {333}, our_tag);
      auto expected = crypt(theirs[i].get(), true, iv, aad, text, {}, their_tag);
      ASSERT_TRUE(sealed && expected);
      EXPECT_EQ(*sealed, *expected) << "context " << i << ", round " << round;
      EXPECT_EQ(our_tag, their_tag);
    }
  }
}

TEST_P(GcmProvider, ACopyMidMessageFinishesItAsTheOriginalDoes) {
  Bytes iv = random_bytes(12), aad = random_bytes(5), text = random_bytes(5000);
  CipherCtx original = keyed(ours_.get(), key_, true);
  int n = 0;
  Bytes a(text.size()), b(text.size());
  ASSERT_EQ(EVP_CipherInit_ex2(original.get(), nullptr, nullptr, iv.data(), 1, nullptr), 1);
  ASSERT_EQ(EVP_CipherUpdate(original.get(), nullptr, &n, aad.data(), 5), 1);
  ASSERT_EQ(EVP_CipherUpdate(original.get(), a.data(), &n, text.data(), 1234), 1);
  CipherCtx copy(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  ASSERT_EQ(EVP_CIPHER_CTX_copy(copy.get(), original.get()), 1);
  b = a;
  std::array<unsigned char, 16> tag_a{}, tag_b{};
  for (auto [ctx, out, tag] : {std::tuple{original.get(), &a, &tag_a}, std::tuple{copy.get(), &b, &tag_b}}) {
    ASSERT_EQ(EVP_CipherUpdate(ctx, out->data() + 1234, &n, text.data() + 1234, 5000 - 1234), 1);
    ASSERT_EQ(EVP_CipherFinal_ex(ctx, out->data() + 5000, &n), 1);
    ASSERT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag->data()), 1);
  }
  EXPECT_EQ(a, b);
  EXPECT_EQ(tag_a, tag_b);
  original.reset();  // the copy's key outlives the original's
  std::array<unsigned char, 16> tag{};
  auto again = crypt(copy.get(), true, iv, aad, text, {}, tag);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, a);
  EXPECT_EQ(tag, tag_a);
}

TEST_P(GcmProvider, ANewKeyOnTheSameContextReplacesTheOld) {
  Bytes iv = random_bytes(12), aad = random_bytes(5), text = random_bytes(700);
  CipherCtx ctx = keyed(ours_.get(), key_, true);
  std::array<unsigned char, 16> tag{}, expected_tag{};
  ASSERT_TRUE(crypt(ctx.get(), true, iv, aad, text, {}, tag));  // the first key, expanded and in use
  Bytes second = random_bytes(key_.size());
  ASSERT_EQ(EVP_CipherInit_ex2(ctx.get(), nullptr, second.data(), nullptr, 1, nullptr), 1);
  auto sealed = crypt(ctx.get(), true, iv, aad, text, {}, tag);
  auto expected = crypt(keyed(theirs_.get(), second, true).get(), true, iv, aad, text, {}, expected_tag);
  ASSERT_TRUE(sealed && expected);
  EXPECT_EQ(*sealed, *expected);
  EXPECT_EQ(tag, expected_tag);
}

TEST_P(GcmProvider, RefusesToGoOnWithoutAFreshIvOrAnExpectedTag) {
  Bytes iv = random_bytes(12), text = random_bytes(64);
  std::array<unsigned char, 16> tag{};
  CipherCtx seal = keyed(ours_.get(), key_, true);
  ASSERT_TRUE(crypt(seal.get(), true, iv, {}, text, {}, tag));
  // The IV went with the last message: another update without a new one would reuse it.
  Bytes out(text.size());
  int n = 0;
  EXPECT_EQ(EVP_CipherUpdate(seal.get(), out.data(), &n, text.data(), 64), 0);
  EXPECT_EQ(EVP_CipherFinal_ex(seal.get(), out.data(), &n), 0);
  // An opening with no tag to check is refused at the end, not accepted.
  CipherCtx open = keyed(ours_.get(), key_, false);
  ASSERT_EQ(EVP_CipherInit_ex2(open.get(), nullptr, nullptr, iv.data(), 0, nullptr), 1);
  ASSERT_EQ(EVP_CipherUpdate(open.get(), out.data(), &n, text.data(), 64), 1);
  EXPECT_EQ(EVP_CipherFinal_ex(open.get(), out.data(), &n), 0);
  // IVs other than TLS's 12 bytes, and tags other than 16, are refused rather than guessed at.
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(open.get(), EVP_CTRL_AEAD_SET_IVLEN, 16, nullptr), 0);
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(open.get(), EVP_CTRL_AEAD_SET_TAG, 12, tag.data()), 0);
}

TEST_P(GcmProvider, HandsTls12RecordsToOpenSsl) {
  // TLS 1.2's calls, as libssl 3.0's tls1_enc makes them for a provider's cipher: a fixed IV part, then per
  // record the 13-byte header as "TLS AAD" and one EVP_CipherUpdate over explicit nonce, text and tag,
  // whose length out is the whole record when sealing and the text when opening. The provider's context
  // passes them to OpenSSL's AES-GCM, so both sides' records match byte for byte, and ours open theirs.
  Bytes fixed = random_bytes(4);
  std::array<CipherCtx, 2> sealers{keyed(ours_.get(), key_, true), keyed(theirs_.get(), key_, true)};
  CipherCtx opener = keyed(ours_.get(), key_, false);
  ASSERT_EQ(EVP_CIPHER_CTX_ctrl(opener.get(), EVP_CTRL_GCM_SET_IV_FIXED, 4, fixed.data()), 1);
  std::array<Bytes, 2> records;
  Bytes text = random_bytes(3000);
  // Sequence number 1, application data, TLS 1.2, and the length libssl gives a sealing: nonce and text.
  unsigned char header[13] = {0, 0, 0, 0, 0, 0, 0, 1, 0x17, 0x03, 0x03, 0x0b, 0xc0};
  for (std::size_t i = 0; i < 2; ++i) {
    EVP_CIPHER_CTX* s = sealers[i].get();
    ASSERT_EQ(EVP_CIPHER_CTX_ctrl(s, EVP_CTRL_GCM_SET_IV_FIXED, 4, fixed.data()), 1) << i;
    unsigned char aad[13];
    std::memcpy(aad, header, 13);
    ASSERT_EQ(EVP_CIPHER_CTX_ctrl(s, EVP_CTRL_AEAD_TLS1_AAD, 13, aad), 16) << i;
    Bytes record(8 + text.size() + 16);
    std::memcpy(record.data() + 8, text.data(), text.size());
    int n = 0;
    ASSERT_EQ(EVP_CipherUpdate(s, record.data(), &n, record.data(), static_cast<int>(record.size())), 1) << i;
    ASSERT_EQ(n, static_cast<int>(record.size())) << i;
    records[i] = record;
  }
  // Each sealer draws its own explicit nonces, so the two records differ; both must open to the text, and
  // a record with a changed byte must not.
  records[0][100] ^= 1;
  unsigned char forged_aad[13];
  std::memcpy(forged_aad, header, 13);
  forged_aad[11] = static_cast<unsigned char>(records[0].size() >> 8);
  forged_aad[12] = static_cast<unsigned char>(records[0].size());
  Bytes forged = records[0];
  ASSERT_EQ(EVP_CIPHER_CTX_ctrl(opener.get(), EVP_CTRL_AEAD_TLS1_AAD, 13, forged_aad), 16);
  int refused = 0;
  EXPECT_EQ(
      EVP_CipherUpdate(opener.get(), forged.data(), &refused, forged.data(), static_cast<int>(forged.size())),
      0);
  records[0][100] ^= 1;
  for (Bytes& record : records) {
    unsigned char aad[13];
    std::memcpy(aad, header, 13);
    aad[11] = static_cast<unsigned char>(record.size() >> 8);
    aad[12] = static_cast<unsigned char>(record.size());
    ASSERT_EQ(EVP_CIPHER_CTX_ctrl(opener.get(), EVP_CTRL_AEAD_TLS1_AAD, 13, aad), 16);
    int n = 0;
    ASSERT_EQ(
        EVP_CipherUpdate(opener.get(), record.data(), &n, record.data(), static_cast<int>(record.size())), 1);
    ASSERT_EQ(n, static_cast<int>(text.size()));
    EXPECT_TRUE(std::equal(text.begin(), text.end(), record.begin() + 8));
  }
}

TEST_P(GcmProvider, IsWhatAServerContextsQueryFinds) {
  Cipher found = fetch(name_, kRecordCipherQuery);
  ASSERT_TRUE(found);
  EXPECT_STREQ(OSSL_PROVIDER_get0_name(EVP_CIPHER_get0_provider(found.get())), "dockgate-gcm");
  Cipher chacha = fetch("ChaCha20-Poly1305", kRecordCipherQuery);  // not ours: OpenSSL's, as before
  ASSERT_TRUE(chacha);
  EXPECT_STREQ(OSSL_PROVIDER_get0_name(EVP_CIPHER_get0_provider(chacha.get())), "default");
}

std::string key_size_name(const ::testing::TestParamInfo<int>& key_bytes) {
  return "AES" + std::to_string(key_bytes.param * 8);
}
INSTANTIATE_TEST_SUITE_P(KeySizes, GcmProvider, ::testing::Values(16, 32), key_size_name);

TEST(GcmProviderAbsent, LeavesTheQueryToOpenSsl) {
  Cipher found = fetch("AES-128-GCM", kRecordCipherQuery);
  ASSERT_TRUE(found);
  EXPECT_STREQ(OSSL_PROVIDER_get0_name(EVP_CIPHER_get0_provider(found.get())), "default");
}

}  // namespace
}  // namespace dockgate::tls
