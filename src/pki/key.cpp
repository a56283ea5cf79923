// Key generation and PEM encoding through OpenSSL 3's EVP API.
#include "pki/key.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "error.hpp"
#include "files/batch.hpp"

namespace dockgate::pki {

std::string openssl_errors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    if (reason == nullptr) continue;
    if (!out.empty()) out += ": ";
    out += reason;
  }
  return out;
}

Bio bio_from(const std::string& text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

namespace {

constexpr std::array<std::pair<KeyType, const char*>, 5> kKeyTypes{{
    {KeyType::ecdsa_p256, "ecdsa-p256"},
    {KeyType::rsa2048, "rsa-2048"},
    {KeyType::rsa3072, "rsa-3072"},
    {KeyType::rsa4096, "rsa-4096"},
    {KeyType::ed25519, "ed25519"},
}};

}  // namespace

KeyType parse_key_type(std::string_view text) {
  for (const auto& [type, name] : kKeyTypes) {
    if (text == name) return type;
  }
  throw UsageError("invalid --key-type \"" + std::string(text) + "\": use one of " + key_type_choices());
}

std::string key_type_flag(KeyType type) {
  for (const auto& [t, name] : kKeyTypes) {
    if (t == type) return name;
  }
  return "?";
}

std::string key_type_choices() {
  std::string out;
  for (const auto& [type, name] : kKeyTypes) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

PKey generate_key(KeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case KeyType::ecdsa_p256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyType::rsa2048:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
      break;
    case KeyType::rsa3072:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(3072));
      break;
    case KeyType::rsa4096:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(4096));
      break;
    case KeyType::ed25519:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (key == nullptr) throw Error("cannot generate a " + key_type_flag(type) + " key: " + openssl_errors());
  return PKey(key);
}

std::string describe_key(const EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return "RSA " + std::to_string(EVP_PKEY_get_bits(key));
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t len = 0;
      if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1) {
        if (std::strcmp(group, "prime256v1") == 0) return "ECDSA P-256";
        return std::string("ECDSA ") + group;
      }
      return "ECDSA";
    }
    case EVP_PKEY_ED25519:
      return "Ed25519";
    default:
      return "unknown";
  }
}

KeyType key_type_of(const EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: {
      int bits = EVP_PKEY_get_bits(key);
      return bits >= 4096 ? KeyType::rsa4096 : bits >= 3072 ? KeyType::rsa3072 : KeyType::rsa2048;
    }
    case EVP_PKEY_ED25519:
      return KeyType::ed25519;
    default:
      return KeyType::ecdsa_p256;
  }
}

std::string key_to_pem(const EVP_PKEY* key, const std::optional<std::string>& passphrase) {
  Bio out(BIO_new(BIO_s_mem()));
  int ok = 0;
  if (passphrase) {
    ok = PEM_write_bio_PKCS8PrivateKey(out.get(), key, EVP_aes_256_cbc(), passphrase->data(),
                                       static_cast<int>(passphrase->size()), nullptr, nullptr);
  } else {
    ok = PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  }
  if (ok != 1) throw Error("cannot encode a private key: " + openssl_errors());
  return bio_text(out.get());
}

namespace {

struct PassphraseRequest {
  const std::optional<std::string>* passphrase;
  bool asked = false;
};

// OpenSSL's password callback: hands over the passphrase if we have one, and otherwise returns no
// password so that OpenSSL never falls back to prompting on the terminal.
int passphrase_callback(char* buf, int size, int /*rwflag*/, void* user) {
  auto* req = static_cast<PassphraseRequest*>(user);
  req->asked = true;
  if (!req->passphrase->has_value()) return -1;
  const std::string& p = **req->passphrase;
  if (static_cast<int>(p.size()) > size) return -1;
  std::copy(p.begin(), p.end(), buf);  // length-counted: OpenSSL needs no terminating NUL
  return static_cast<int>(p.size());
}

}  // namespace

PKey key_from_pem(const std::string& pem, const std::filesystem::path& path,
                  const std::optional<std::string>& passphrase) {
  Bio in = bio_from(pem);
  PassphraseRequest req{&passphrase};
  ERR_clear_error();
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in.get(), nullptr, passphrase_callback, &req);
  if (key != nullptr) return PKey(key);
  std::string why = openssl_errors();
  if (req.asked && !passphrase) {
    throw Error("the key " + path.string() +
                " is encrypted: pass its passphrase with --ca-passphrase-file FILE");
  }
  if (req.asked) {
    throw Error("cannot decrypt the key " + path.string() + ": wrong passphrase in --ca-passphrase-file (" +
                why + ")");
  }
  throw Error("cannot read the key " + path.string() + ": not a PEM private key, or corrupt" +
              (why.empty() ? "" : " (" + why + ")") + "; restore it from a backup");
}

std::string read_passphrase_file(const std::filesystem::path& path, const std::string& flag) {
  std::string text = files::read_file(path, flag);
  auto end = text.find_first_of("\r\n");
  if (end != std::string::npos) text.resize(end);
  if (text.empty())
    throw Error(flag + " " + path.string() + " is empty: put the passphrase on its first line");
  if (text.size() < 4)
    throw Error(flag + " " + path.string() + ": the passphrase must have at least 4 characters");
  return text;
}

}  // namespace dockgate::pki
