// CRL encoding and signing through OpenSSL 3's X509_CRL API.
#include "pki/crl.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cctype>

#include "ascii.hpp"
#include "error.hpp"

namespace dockgate::pki {

Crl crl_from_pem(const std::string& pem, const std::filesystem::path& path, X509* ca) {
  Bio in = bio_from(pem);
  ERR_clear_error();
  Crl crl(PEM_read_bio_X509_CRL(in.get(), nullptr, nullptr, nullptr));
  if (!crl) {
    throw Error("cannot read the CRL " + path.string() + ": not a PEM CRL, or corrupt (" + openssl_errors() +
                "); move it away and run `dockgate certs crl` to sign a fresh one");
  }
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(ca)) != 0 ||
      X509_CRL_verify(crl.get(), X509_get0_pubkey(ca)) != 1) {
    ERR_clear_error();
    throw Error("the CRL " + path.string() +
                " is not signed by this CA; move it away and run `dockgate certs crl`");
  }
  return crl;
}

std::string crl_to_pem(X509_CRL* crl) {
  Bio out(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509_CRL(out.get(), crl) != 1) throw Error("cannot encode a CRL: " + openssl_errors());
  return bio_text(out.get());
}

CrlContents crl_contents(X509_CRL* crl) {
  CrlContents c;
  if (auto* number =
          static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr))) {
    c.number = ASN1_INTEGER_get(number);
    ASN1_INTEGER_free(number);
  }
  STACK_OF(X509_REVOKED)* list = X509_CRL_get_REVOKED(crl);
  for (int i = 0; i < sk_X509_REVOKED_num(list); ++i) {
    const X509_REVOKED* r = sk_X509_REVOKED_value(list, i);
    Revocation rev;
    rev.serial = serial_hex(X509_REVOKED_get0_serialNumber(r));
    rev.when = to_time(X509_REVOKED_get0_revocationDate(r)).value_or(0);
    c.revoked.push_back(std::move(rev));
  }
  return c;
}

Crl sign_crl(const Signer& ca, const CrlContents& contents) {
  Crl crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.cert));
  Asn1Time now(ASN1_TIME_set(nullptr, std::time(nullptr)));
  X509_CRL_set1_lastUpdate(crl.get(), now.get());
  X509_CRL_set1_nextUpdate(crl.get(), X509_get0_notAfter(ca.cert));

  for (const auto& rev : contents.revoked) {
    BIGNUM* raw = nullptr;
    if (BN_hex2bn(&raw, rev.serial.c_str()) == 0) throw Error("invalid serial " + rev.serial + " in the CRL");
    BigNum bn(raw);
    Asn1Int serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    Asn1Time when(ASN1_TIME_set(nullptr, rev.when));
    X509_REVOKED* r = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(r, serial.get());
    X509_REVOKED_set_revocationDate(r, when.get());
    X509_CRL_add0_revoked(crl.get(), r);
  }

  Asn1Int number(ASN1_INTEGER_new());
  ASN1_INTEGER_set(number.get(), contents.number);
  X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0);

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca.cert, nullptr, nullptr, crl.get(), 0);
  Extension akid(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (!akid || X509_CRL_add_ext(crl.get(), akid.get(), -1) != 1) {
    throw Error("cannot add the authority key identifier to the CRL: " + openssl_errors());
  }

  X509_CRL_sort(crl.get());
  const EVP_MD* md = EVP_PKEY_get_base_id(ca.key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_CRL_sign(crl.get(), ca.key, md) <= 0) throw Error("cannot sign the CRL: " + openssl_errors());
  return crl;
}

std::string normalise_serial(const std::string& text) {
  std::string s = text;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s = s.substr(2);
  std::string out;
  for (char c : s) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
    out += static_cast<char>(ascii_upper(static_cast<unsigned char>(c)));
  }
  size_t first = out.find_first_not_of('0');
  if (out.empty()) return "";
  out = first == std::string::npos ? "0" : out.substr(first);
  // BN_bn2hex pads to whole bytes.
  if (out.size() % 2 == 1) out = "0" + out;
  return out;
}

}  // namespace dockgate::pki
