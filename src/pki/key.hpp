// Private keys: the key types dockgate offers, generating them, and their PEM form (PKCS#8, optionally
// encrypted with AES-256 for the CA key, as the seeds do with `openssl genrsa -aes256`).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "pki/openssl.hpp"

namespace dockgate::pki {

enum class KeyType { ecdsa_p256, rsa2048, rsa3072, rsa4096, ed25519 };

// Parses the value of --key-type; throws Error listing the accepted values.
KeyType parse_key_type(std::string_view text);
std::string key_type_flag(KeyType type);  // the --key-type spelling, e.g. "ecdsa-p256"
std::string key_type_choices();           // "ecdsa-p256, rsa-2048, ..." for help texts

PKey generate_key(KeyType type);

// "ECDSA P-256", "RSA 2048", "Ed25519", ... for output.
std::string describe_key(const EVP_PKEY* key);

// The key type a key has, for re-generating one "of the same kind" when a certificate is renewed.
KeyType key_type_of(const EVP_PKEY* key);

// PKCS#8 PEM; encrypted with AES-256-CBC when `passphrase` is given.
std::string key_to_pem(const EVP_PKEY* key, const std::optional<std::string>& passphrase = std::nullopt);

// Parses a PEM private key read from `path`. Throws Error naming the path and the fix when the file is not
// a key, is encrypted and no passphrase was given, or the passphrase is wrong. Never prompts.
PKey key_from_pem(const std::string& pem, const std::filesystem::path& path,
                  const std::optional<std::string>& passphrase);

// Reads a passphrase file as `openssl -passin file:` does: the first line, without its line ending.
// `flag` names the option the path came from, for the error message.
std::string read_passphrase_file(const std::filesystem::path& path, const std::string& flag);

}  // namespace dockgate::pki
