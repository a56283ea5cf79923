// Issuing and describing certificates through OpenSSL 3's X509 and X509V3 APIs.
#include "pki/certificate.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cmath>
#include <ctime>

#include "error.hpp"
#include "pki/key.hpp"

namespace dockgate::pki {
namespace {

constexpr long kBackdateSeconds = 5L * 60;

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  Extension ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    throw Error(std::string("cannot add the ") + OBJ_nid2sn(nid) + " extension \"" + value +
                "\": " + openssl_errors());
  }
}

std::string utf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  int n = ASN1_STRING_to_UTF8(&out, s);
  if (n < 0) return "";
  std::string text(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return text;
}

std::string rfc3339(const ASN1_TIME* t) {
  std::optional<std::time_t> when = to_time(t);
  return when ? utc_text(*when) : "";
}

std::string name_text(const X509_NAME* name) {
  Bio out(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253);
  return bio_text(out.get());
}

std::vector<std::string> name_entries(const X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    out.push_back(utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))));
  }
  return out;
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
  char out[INET6_ADDRSTRLEN] = {};
  int len = ASN1_STRING_length(ip);
  const unsigned char* data = ASN1_STRING_get0_data(ip);
  if (len == 4) ::inet_ntop(AF_INET, data, out, sizeof out);
  if (len == 16) ::inet_ntop(AF_INET6, data, out, sizeof out);
  return out;
}

}  // namespace

std::string utc_text(std::time_t when) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "";
  return buf;
}

const EVP_MD* sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

std::optional<std::time_t> to_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return timegm(&tm);
}

std::string role_name(Role role) {
  switch (role) {
    case Role::ca:
      return "ca";
    case Role::server:
      return "server";
    case Role::client:
      return "client";
  }
  return "?";
}

int default_days(Role role) {
  switch (role) {
    case Role::ca:
      return 3650;
    case Role::server:
      return 825;
    case Role::client:
      return 365;
  }
  return 365;
}

Cert issue_certificate(const Profile& profile, EVP_PKEY* subject_key, const std::optional<Signer>& signer) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);

  BigNum bn(BN_new());
  if (BN_rand(bn.get(), 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1) {
    throw Error("cannot draw a random serial number: " + openssl_errors());
  }
  Asn1Int serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  X509_set_serialNumber(cert.get(), serial.get());

  if (profile.subject != nullptr) {
    X509_set_subject_name(cert.get(), profile.subject);
  } else {
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("dockgate"),
                               -1, -1, 0);
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(profile.common_name.c_str()), -1,
                                   -1, 0) != 1) {
      throw Error("cannot use \"" + profile.common_name + "\" as a common name: " + openssl_errors());
    }
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_set_issuer_name(cert.get(), signer ? X509_get_subject_name(signer->cert) : subject);

  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds);
  // The period is `days` from the back-dated start: an 825-day server certificate is 825 days, the most
  // macOS accepts, not 825 days and 5 minutes.
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), profile.days, -kBackdateSeconds, nullptr);
  if (signer && ASN1_TIME_compare(X509_get0_notAfter(cert.get()), X509_get0_notAfter(signer->cert)) > 0) {
    X509_set1_notAfter(cert.get(), X509_get0_notAfter(signer->cert));
  }
  X509_set_pubkey(cert.get(), subject_key);

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, signer ? signer->cert : cert.get(), cert.get(), nullptr, nullptr, 0);
  if (!signer) X509V3_set_issuer_pkey(&ctx, subject_key);

  bool rsa = EVP_PKEY_get_base_id(subject_key) == EVP_PKEY_RSA;
  switch (profile.role) {
    case Role::ca:
      add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
      add_extension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case Role::server:
    case Role::client: {
      add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
      add_extension(cert.get(), &ctx, NID_key_usage,
                    rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature");
      add_extension(cert.get(), &ctx, NID_ext_key_usage,
                    profile.role == Role::server ? "serverAuth" : "clientAuth");
      std::string san;
      for (const auto& h : profile.hosts) {
        san +=
            (san.empty() ? "" : ",") + std::string(h.kind == HostName::Kind::ip ? "IP:" : "DNS:") + h.value;
      }
      for (const auto& g : profile.groups)
        san += (san.empty() ? "" : ",") + std::string("URI:") + group_uri(g);
      if (!san.empty()) add_extension(cert.get(), &ctx, NID_subject_alt_name, san);
      break;
    }
  }
  add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");

  EVP_PKEY* signing_key = signer ? signer->key : subject_key;
  const EVP_MD* md = EVP_PKEY_get_base_id(signing_key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), signing_key, md) <= 0)
    throw Error("cannot sign the certificate: " + openssl_errors());
  return cert;
}

Profile profile_of(X509* cert, const std::filesystem::path& path) {
  CertInfo info = describe_certificate(cert);
  Profile p;
  p.common_name = info.common_name;
  auto has = [&](const char* eku) {
    for (const auto& e : info.extended_key_usage) {
      if (e == eku) return true;
    }
    return false;
  };
  if (info.is_ca) {
    p.role = Role::ca;
  } else if (has("serverAuth")) {
    p.role = Role::server;
  } else if (has("clientAuth")) {
    p.role = Role::client;
  } else {
    throw Error(path.string() +
                " is neither a CA, a server (serverAuth) nor a client (clientAuth) certificate");
  }
  for (const auto& d : info.dns_names) p.hosts.push_back(parse_host(d, path.string()));
  for (const auto& ip : info.ip_addresses) p.hosts.push_back(parse_host(ip, path.string()));
  p.groups = info.groups;
  p.days = default_days(p.role);
  p.subject = X509_get_subject_name(cert);
  return p;
}

Cert cert_from_pem(const std::string& pem, const std::filesystem::path& path) {
  Bio in = bio_from(pem);
  ERR_clear_error();
  Cert cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    std::string why = openssl_errors();
    throw Error("cannot read the certificate " + path.string() + ": not a PEM certificate, or corrupt" +
                (why.empty() ? "" : " (" + why + ")"));
  }
  return cert;
}

std::string cert_to_pem(X509* cert) {
  Bio out(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(out.get(), cert) != 1)
    throw Error("cannot encode a certificate: " + openssl_errors());
  return bio_text(out.get());
}

std::string serial_hex(const ASN1_INTEGER* serial) {
  BigNum bn(ASN1_INTEGER_to_BN(serial, nullptr));
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  return out;
}

Holder describe_holder(X509* cert) {
  Holder holder;
  const X509_NAME* subject = X509_get_subject_name(cert);
  auto cns = name_entries(subject, NID_commonName);
  holder.common_name = cns.empty() ? "" : cns.back();
  holder.organizational_units = name_entries(subject, NID_organizationalUnitName);
  holder.serial = serial_hex(X509_get0_serialNumber(cert));

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (sha256() != nullptr && X509_digest(cert, sha256(), md, &n) == 1) {
    static const char* hex = "0123456789ABCDEF";
    for (unsigned int i = 0; i < n; ++i) {
      if (i > 0) holder.sha256_fingerprint += ':';
      holder.sha256_fingerprint += hex[md[i] >> 4];
      holder.sha256_fingerprint += hex[md[i] & 0xf];
    }
  }

  if (auto* sans =
          static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      switch (gn->type) {
        case GEN_DNS:
          holder.dns_names.push_back(utf8(gn->d.dNSName));
          break;
        case GEN_IPADD:
          holder.ip_addresses.push_back(ip_text(gn->d.iPAddress));
          break;
        case GEN_URI: {
          std::string uri = utf8(gn->d.uniformResourceIdentifier);
          if (auto g = group_from_uri(uri)) holder.groups.push_back(*g);
          holder.uris.push_back(std::move(uri));
          break;
        }
        case GEN_EMAIL:
          holder.emails.push_back(utf8(gn->d.rfc822Name));
          break;
        default:
          break;
      }
    }
    GENERAL_NAMES_free(sans);
  }
  return holder;
}

CertInfo describe_certificate(X509* cert) {
  CertInfo info;
  static_cast<Holder&>(info) = describe_holder(cert);
  info.subject = name_text(X509_get_subject_name(cert));
  info.issuer = name_text(X509_get_issuer_name(cert));

  info.not_before = rfc3339(X509_get0_notBefore(cert));
  info.not_after = rfc3339(X509_get0_notAfter(cert));
  int days = 0, secs = 0;
  if (ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(cert)) == 1) {
    info.days_left = static_cast<long>(std::floor((static_cast<double>(days) * 86400 + secs) / 86400));
  }
  if (ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), X509_get0_notAfter(cert)) == 1) {
    info.lifetime_days = days;
  }

  uint32_t flags = X509_get_extension_flags(cert);
  info.is_ca = (flags & EXFLAG_CA) != 0;
  if (const EVP_PKEY* key = X509_get0_pubkey(cert)) info.key = describe_key(key);

  if (flags & EXFLAG_KUSAGE) {
    uint32_t ku = X509_get_key_usage(cert);
    const std::pair<uint32_t, const char*> names[] = {
        {KU_DIGITAL_SIGNATURE, "digitalSignature"},
        {KU_NON_REPUDIATION, "nonRepudiation"},
        {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
        {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
        {KU_KEY_AGREEMENT, "keyAgreement"},
        {KU_KEY_CERT_SIGN, "keyCertSign"},
        {KU_CRL_SIGN, "cRLSign"},
    };
    for (const auto& [bit, name] : names) {
      if (ku & bit) info.key_usage.emplace_back(name);
    }
  }
  if (auto* eku =
          static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr))) {
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
      int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
      char oid[80];
      OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(eku, i), 1);
      info.extended_key_usage.emplace_back(nid != NID_undef ? OBJ_nid2sn(nid) : oid);
    }
    EXTENDED_KEY_USAGE_free(eku);
  }
  return info;
}

}  // namespace dockgate::pki
