// The PKI on disk, in Docker's file names so dockerd and the docker CLI use it unchanged:
//
//   DIR/ca.pem ca-key.pem               the CA (the key optionally passphrase-protected)
//   DIR/server-cert.pem server-key.pem  the default server certificate
//   DIR/crl.pem                         revoked serials, signed by the CA
//   DIR/servers/NAME/                   more servers: ca.pem server-cert.pem server-key.pem
//   DIR/clients/NAME/                   one client each: ca.pem cert.pem key.pem (a DOCKER_CERT_PATH)
//   DIR/revoked/NAME-SERIAL/            client directories moved aside by `certs revoke`
//
// Keys are 0400, certificates and CRL 0444, directories 0700; every operation lands all its files or none.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pki/certificate.hpp"
#include "pki/crl.hpp"
#include "pki/key.hpp"

namespace dockgate::pki {

struct Layout {
  std::filesystem::path dir;

  std::filesystem::path ca_cert() const { return dir / "ca.pem"; }
  std::filesystem::path ca_key() const { return dir / "ca-key.pem"; }
  std::filesystem::path crl() const { return dir / "crl.pem"; }
  // The default server (name "") or a named one under servers/.
  std::filesystem::path server_dir(const std::string& name) const {
    return name.empty() ? dir : dir / "servers" / name;
  }
  std::filesystem::path client_dir(const std::string& name) const { return dir / "clients" / name; }
  std::filesystem::path revoked_dir() const { return dir / "revoked"; }
};

// Where a certificate's own files live.
struct Files {
  std::filesystem::path cert, key;
};
Files server_files(const Layout& layout, const std::string& name);
Files client_files(const Layout& layout, const std::string& name);

// Server subjectAltNames: every --host, then localhost, 127.0.0.1 and ::1 unless `no_local`, then this
// machine's name and addresses with `all_local`. Duplicates are dropped; an empty result is an Error.
struct ServerNames {
  std::vector<std::string> hosts;
  bool no_local = false;
  bool all_local = false;
};
std::vector<HostName> server_hosts(const ServerNames& names);

struct InitOptions {
  Layout layout;
  KeyType key_type = KeyType::ecdsa_p256;
  ServerNames server;
  std::string client_name = "admin";
  std::optional<std::string> ca_passphrase;
  bool force = false;
};

struct Outcome {
  std::vector<std::filesystem::path> written;
  std::vector<std::string> notes;  // things the person should know, one sentence each
};

// A new CA, the default server certificate, an empty CRL and the first client.
Outcome init_pki(const InitOptions& options);

// A loaded CA: what issuing, renewing and revoking need.
class Authority {
 public:
  // Loads DIR/ca.pem and DIR/ca-key.pem and checks they belong together. Throws Error naming the file.
  Authority(Layout layout, const std::optional<std::string>& passphrase);

  Outcome issue_server(const std::string& name, const ServerNames& names, KeyType key_type, int days,
                       bool force);
  Outcome issue_client(const std::string& name, const std::vector<std::string>& groups, KeyType key_type,
                       int days, bool force);

  // Re-issues the CA (same key: everything it signed stays valid), the default or a named server, or a
  // client, keeping its names and groups. `new_key` replaces the key too (not for the CA).
  Outcome renew(Role role, const std::string& name, bool new_key, std::optional<int> days);

  // Adds a client (by name) or any certificate (by serial) to the CRL; a revoked client's directory moves
  // to revoked/, freeing its name.
  Outcome revoke(const std::string& name_or_serial);

  // Signs the CRL anew with the same entries (after a CA renewal, or to replace a damaged one).
  Outcome resign_crl();

 private:
  Signer signer() const { return {ca_.get(), key_.get()}; }
  CrlContents current_crl() const;

  Layout layout_;
  Cert ca_;
  PKey key_;
};

// Every certificate under DIR, for `certs list`. Needs no key.
struct Entry {
  Role role;
  std::string name;  // "" for the CA and the default server
  std::filesystem::path cert;
  CertInfo info;
  bool revoked = false;
};
std::vector<Entry> list_entries(const Layout& layout);

// Whether the CRL under DIR revokes `cert`; nullopt when DIR holds no CA or `cert` is not issued by it.
std::optional<bool> revoked_in(const Layout& layout, X509* cert);

}  // namespace dockgate::pki
