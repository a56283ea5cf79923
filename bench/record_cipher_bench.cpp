// How fast one core seals a full TLS record (16 KiB, AES-128-GCM, the 5-byte header as additional data)
// through the EVP calls libssl makes per record, with OpenSSL's own AES-GCM and with the one `dockgate
// serve` uses (tls/gcm_provider.hpp: ipsec-mb where the processor has VAES). bench/run reports both beside
// `openssl speed` as limits of the machine.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <array>
#include <memory>
#include <vector>

#include "tls/gcm_provider.hpp"

namespace {

void seal_records(benchmark::State& state, const char* query) {
  std::unique_ptr<EVP_CIPHER, decltype(&EVP_CIPHER_free)> cipher(
      EVP_CIPHER_fetch(nullptr, "AES-128-GCM", query), EVP_CIPHER_free);
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  std::array<unsigned char, 16> key{1, 2, 3};
  std::array<unsigned char, 12> iv{4, 5, 6};
  std::array<unsigned char, 5> header{0x17, 0x03, 0x03, 0x40, 0x11};
  std::array<unsigned char, 16> tag{};
  std::vector<unsigned char> record(16384, 'x');
  if (!cipher || EVP_EncryptInit_ex2(ctx.get(), cipher.get(), key.data(), nullptr, nullptr) != 1) {
    state.SkipWithError("no AES-128-GCM for this query");
    return;
  }
  int n = 0;
  for (auto _ : state) {
    ++iv[11];  // a new IV per record, as TLS derives one from the sequence number
    bool ok =
        EVP_EncryptInit_ex2(ctx.get(), nullptr, nullptr, iv.data(), nullptr) == 1 &&
        EVP_EncryptUpdate(ctx.get(), nullptr, &n, header.data(), static_cast<int>(header.size())) == 1 &&
        EVP_EncryptUpdate(ctx.get(), record.data(), &n, record.data(), static_cast<int>(record.size())) ==
            1 &&
        EVP_EncryptFinal_ex(ctx.get(), record.data() + n, &n) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, tag.data()) == 1;
    if (!ok) {
      state.SkipWithError("sealing failed");
      return;
    }
    benchmark::DoNotOptimize(tag);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(record.size()));
}

void BM_SealRecordOpenSsl(benchmark::State& state) {
  seal_records(state, "provider=default");
}
BENCHMARK(BM_SealRecordOpenSsl);

void BM_SealRecordDockgate(benchmark::State& state) {
  dockgate::tls::RecordCipher used = dockgate::tls::use_ipsec_mb_gcm();
  state.SetLabel(used.ipsec_mb ? "ipsec-mb" : "OpenSSL: " + used.why);
  seal_records(state, dockgate::tls::kRecordCipherQuery);
}
BENCHMARK(BM_SealRecordDockgate);

}  // namespace

BENCHMARK_MAIN();
