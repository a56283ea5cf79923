#include "pki/key.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "../support.hpp"
#include "error.hpp"

namespace dockgate::pki {
namespace {

TEST(KeyType, ParsesEveryOfferedTypeAndNamesThemWhenWrong) {
  for (KeyType t :
       {KeyType::ecdsa_p256, KeyType::rsa2048, KeyType::rsa3072, KeyType::rsa4096, KeyType::ed25519}) {
    EXPECT_EQ(parse_key_type(key_type_flag(t)), t);
  }
  EXPECT_EQ(testing::error_of([] { parse_key_type("dsa"); }),
            "invalid --key-type \"dsa\": use one of ecdsa-p256, rsa-2048, rsa-3072, rsa-4096, ed25519");
}

TEST(Key, GeneratesEachTypeAndRoundTripsThroughPem) {
  const std::pair<KeyType, const char*> cases[] = {
      {KeyType::ecdsa_p256, "ECDSA P-256"}, {KeyType::rsa2048, "RSA 2048"}, {KeyType::ed25519, "Ed25519"}};
  for (const auto& [type, described] : cases) {
    PKey key = generate_key(type);
    EXPECT_EQ(describe_key(key.get()), described);
    EXPECT_EQ(key_type_of(key.get()), type);
    std::string pem = key_to_pem(key.get());
    EXPECT_NE(pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos) << "PKCS#8, which Go reads";
    PKey back = key_from_pem(pem, "k.pem", std::nullopt);
    EXPECT_EQ(EVP_PKEY_eq(key.get(), back.get()), 1);
  }
}

TEST(Key, EncryptedPemNeedsTheRightPassphraseAndNeverPrompts) {
  PKey key = generate_key(KeyType::ecdsa_p256);
  std::string pem = key_to_pem(key.get(), std::string("correct horse"));
  EXPECT_NE(pem.find("ENCRYPTED PRIVATE KEY"), std::string::npos);
  PKey back = key_from_pem(pem, "ca-key.pem", std::string("correct horse"));
  EXPECT_EQ(EVP_PKEY_eq(key.get(), back.get()), 1);

  EXPECT_NE(testing::error_of([&] {
              key_from_pem(pem, "ca-key.pem", std::nullopt);
            }).find("ca-key.pem is encrypted: pass its passphrase with --ca-passphrase-file"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] {
              key_from_pem(pem, "ca-key.pem", std::string("wrong"));
            }).find("wrong passphrase"),
            std::string::npos);
}

TEST(Key, CorruptPemIsNamed) {
  EXPECT_NE(testing::error_of([&] {
              key_from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "/d/ca-key.pem",
                           std::nullopt);
            }).find("cannot read the key /d/ca-key.pem"),
            std::string::npos);
}

TEST(PassphraseFile, TakesTheFirstLineAndRejectsEmpty) {
  testing::TempDir tmp;
  std::ofstream(tmp / "p") << "s3cret phrase\nignored\n";
  EXPECT_EQ(read_passphrase_file(tmp / "p", "--ca-passphrase-file"), "s3cret phrase");
  std::ofstream(tmp / "empty") << "\n";
  EXPECT_THROW(read_passphrase_file(tmp / "empty", "--ca-passphrase-file"), Error);
  EXPECT_THROW(read_passphrase_file(tmp / "missing", "--ca-passphrase-file"), Error);
}

}  // namespace
}  // namespace dockgate::pki
