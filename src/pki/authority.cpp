// The operations of `dockgate certs` on a PKI directory. Each builds all its files in memory, then lands
// them with one files::Batch, so that a failure at any step leaves the directory as it was.
#include "pki/authority.hpp"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <system_error>

#include "error.hpp"
#include "files/batch.hpp"
#include "net/local_addresses.hpp"

namespace dockgate::pki {
namespace fs = std::filesystem;
using files::Batch;
using files::Existing;

namespace {

constexpr unsigned kKeyMode = 0400;
constexpr unsigned kCertMode = 0444;
constexpr unsigned kDirMode = 0700;

Existing existing(bool force) {
  return force ? Existing::replace : Existing::keep;
}

bool present(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

Cert load_cert(const fs::path& path, const std::string& what) {
  return cert_from_pem(files::read_file(path, what), path);
}

// The CA's name says which machine made it, and a random tag tells apart two CAs made there: people read
// issuers by name, and Go's errors name the candidate CA it tried.
std::string ca_common_name() {
  unsigned char tag[4];
  if (RAND_bytes(tag, sizeof tag) != 1) throw Error("cannot draw random bytes: " + openssl_errors());
  std::string hex;
  for (unsigned char b : tag) {
    hex += "0123456789abcdef"[b >> 4];
    hex += "0123456789abcdef"[b & 0xf];
  }
  auto names = net::local_names_and_addresses();
  return "dockgate CA " + (names.empty() ? std::string() : names.front() + " ") + hex;
}

// Stages a leaf's certificate and key, plus a copy of the CA beside them (clients and named servers), so
// that each such directory is complete on its own: a DOCKER_CERT_PATH, or a server's --tlscacert.
void stage_leaf(Batch& batch, const Layout& layout, const Files& files, X509* ca, X509* cert, EVP_PKEY* key,
                bool force) {
  fs::path dir = files.cert.parent_path();
  batch.make_dir(dir, kDirMode);
  batch.write(files.key, key_to_pem(key), kKeyMode, existing(force));
  batch.write(files.cert, cert_to_pem(cert), kCertMode, existing(force));
  if (dir / "ca.pem" != layout.ca_cert())
    batch.write(dir / "ca.pem", cert_to_pem(ca), kCertMode, existing(force));
}

}  // namespace

Files server_files(const Layout& layout, const std::string& name) {
  fs::path d = layout.server_dir(name);
  return {d / "server-cert.pem", d / "server-key.pem"};
}

Files client_files(const Layout& layout, const std::string& name) {
  fs::path d = layout.client_dir(name);
  return {d / "cert.pem", d / "key.pem"};
}

std::vector<HostName> server_hosts(const ServerNames& names) {
  std::vector<HostName> out;
  auto add = [&](const HostName& h) {
    if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
  };
  for (const auto& h : names.hosts) add(parse_host(h));
  if (!names.no_local) {
    for (const char* h : {"localhost", "127.0.0.1", "::1"}) add(parse_host(h));
  }
  if (names.all_local) {
    for (const auto& h : net::local_names_and_addresses()) {
      try {
        add(parse_host(h));
      } catch (const Error&) {
        // A host name that is not a valid DNS name (underscores, say) cannot be a SAN; skip it.
      }
    }
  }
  if (out.empty()) {
    throw UsageError("a server certificate needs at least one name: give --host, or drop --no-local");
  }
  return out;
}

Outcome init_pki(const InitOptions& options) {
  const Layout& layout = options.layout;
  check_entity_name(options.client_name, "--client");
  std::vector<HostName> hosts = server_hosts(options.server);

  PKey ca_key = generate_key(options.key_type);
  Profile ca_profile{Role::ca, ca_common_name(), {}, {}, default_days(Role::ca)};
  Cert ca = issue_certificate(ca_profile, ca_key.get(), std::nullopt);
  Signer signer{ca.get(), ca_key.get()};

  PKey server_key = generate_key(options.key_type);
  Profile server_profile{Role::server, hosts.front().value, hosts, {}, default_days(Role::server)};
  Cert server = issue_certificate(server_profile, server_key.get(), signer);

  PKey client_key = generate_key(options.key_type);
  Profile client_profile{Role::client, options.client_name, {}, {}, default_days(Role::client)};
  Cert client = issue_certificate(client_profile, client_key.get(), signer);

  Crl crl = sign_crl(signer, CrlContents{1, {}});

  Batch batch;
  batch.make_dir(layout.dir, kDirMode);
  batch.write(layout.ca_key(), key_to_pem(ca_key.get(), options.ca_passphrase), kKeyMode,
              existing(options.force));
  batch.write(layout.ca_cert(), cert_to_pem(ca.get()), kCertMode, existing(options.force));
  stage_leaf(batch, layout, server_files(layout, ""), ca.get(), server.get(), server_key.get(),
             options.force);
  batch.write(layout.crl(), crl_to_pem(crl.get()), kCertMode, existing(options.force));
  stage_leaf(batch, layout, client_files(layout, options.client_name), ca.get(), client.get(),
             client_key.get(), options.force);
  batch.commit();

  Outcome out{batch.written(), {}};
  // With --force over an older PKI, whatever the old CA signed no longer verifies: say so.
  for (const char* sub : {"clients", "servers"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(layout.dir / sub, ec)) {
      if (e.path().filename() == options.client_name && std::string(sub) == "clients") continue;
      out.notes.push_back(e.path().string() +
                          " was issued by the previous CA and no longer verifies: re-issue it");
    }
  }
  return out;
}

Authority::Authority(Layout layout, const std::optional<std::string>& passphrase)
    : layout_(std::move(layout)) {
  if (!present(layout_.ca_cert())) {
    throw Error("no CA in " + layout_.dir.string() + " (" + layout_.ca_cert().string() +
                " is missing): run `dockgate certs init --dir " + layout_.dir.string() +
                "` first, or pass --dir");
  }
  ca_ = load_cert(layout_.ca_cert(), "the CA certificate");
  key_ = key_from_pem(files::read_file(layout_.ca_key(), "the CA key"), layout_.ca_key(), passphrase);
  if (X509_check_private_key(ca_.get(), key_.get()) != 1) {
    openssl_errors();
    throw Error("the CA key " + layout_.ca_key().string() + " does not belong to " +
                layout_.ca_cert().string() + "; restore the matching pair");
  }
}

Outcome Authority::issue_server(const std::string& name, const ServerNames& names, KeyType key_type, int days,
                                bool force) {
  if (!name.empty()) check_entity_name(name, "server name");
  std::vector<HostName> hosts = server_hosts(names);
  PKey key = generate_key(key_type);
  Profile profile{Role::server, name.empty() ? hosts.front().value : name, hosts, {}, days};
  Cert cert = issue_certificate(profile, key.get(), signer());
  Batch batch;
  stage_leaf(batch, layout_, server_files(layout_, name), ca_.get(), cert.get(), key.get(), force);
  batch.commit();
  return {batch.written(), {}};
}

Outcome Authority::issue_client(const std::string& name, const std::vector<std::string>& groups,
                                KeyType key_type, int days, bool force) {
  check_entity_name(name, "client name");
  for (const auto& g : groups) check_group_name(g);
  Files files = client_files(layout_, name);
  Outcome out;
  if (present(files.cert)) {
    if (!force) {
      throw Error("the client name \"" + name + "\" is taken (" + files.cert.string() +
                  "): choose another name, revoke it with `dockgate certs revoke " + name +
                  "`, or pass --force to replace it");
    }
    Cert old = load_cert(files.cert, "the client certificate");
    out.notes.push_back("the replaced certificate (serial " + serial_hex(X509_get0_serialNumber(old.get())) +
                        ") stays valid until it expires: revoke it with `dockgate certs revoke SERIAL`");
  }
  PKey key = generate_key(key_type);
  Profile profile{Role::client, name, {}, groups, days};
  Cert cert = issue_certificate(profile, key.get(), signer());
  Batch batch;
  stage_leaf(batch, layout_, files, ca_.get(), cert.get(), key.get(), force);
  batch.commit();
  out.written = batch.written();
  return out;
}

Outcome Authority::renew(Role role, const std::string& name, bool new_key, std::optional<int> days) {
  Batch batch;
  Outcome out;
  if (role == Role::ca) {
    if (new_key) {
      throw Error(
          "a CA cannot be renewed with a new key: everything it signed would stop verifying; "
          "run `dockgate certs init --force` to start a new PKI instead");
    }
    Profile profile = profile_of(ca_.get(), layout_.ca_cert());
    profile.days = days.value_or(default_days(Role::ca));
    Cert renewed = issue_certificate(profile, key_.get(), std::nullopt);
    std::string pem = cert_to_pem(renewed.get());
    batch.write(layout_.ca_cert(), pem, kCertMode, Existing::replace);
    // Every copy of the CA must be the renewed one: Go checks the expiry of the root too.
    for (const char* sub : {"clients", "servers"}) {
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(layout_.dir / sub, ec)) {
        if (present(e.path() / "ca.pem")) batch.write(e.path() / "ca.pem", pem, kCertMode, Existing::replace);
      }
    }
    CrlContents crl = current_crl();
    crl.number += 1;
    Crl signed_crl = sign_crl({renewed.get(), key_.get()}, crl);
    batch.write(layout_.crl(), crl_to_pem(signed_crl.get()), kCertMode, Existing::replace);
    batch.commit();
    out.written = batch.written();
    out.notes.push_back("the CA kept its key: certificates it issued before stay valid");
    return out;
  }

  if (role == Role::client) check_entity_name(name, "client name");
  if (role == Role::server && !name.empty()) check_entity_name(name, "server name");
  Files files = role == Role::client ? client_files(layout_, name) : server_files(layout_, name);
  if (!present(files.cert)) {
    throw Error("nothing to renew: " + files.cert.string() +
                " does not exist; issue it with `dockgate certs issue " + role_name(role) +
                (name.empty() ? "" : " " + name) + "`");
  }
  Cert old = load_cert(files.cert, "the certificate");
  Profile profile = profile_of(old.get(), files.cert);
  if (profile.role != role) {
    throw Error(files.cert.string() + " is a " + role_name(profile.role) + " certificate, not a " +
                role_name(role) + " one");
  }
  profile.days = days.value_or(default_days(role));
  PKey key;
  if (new_key) {
    PKey old_key = key_from_pem(files::read_file(files.key, "the key"), files.key, std::nullopt);
    key = generate_key(key_type_of(old_key.get()));
  } else {
    key = key_from_pem(files::read_file(files.key, "the key"), files.key, std::nullopt);
    if (X509_check_private_key(old.get(), key.get()) != 1) {
      openssl_errors();
      throw Error("the key " + files.key.string() + " does not belong to " + files.cert.string() +
                  "; renew with --new-key");
    }
  }
  Cert renewed = issue_certificate(profile, key.get(), signer());
  batch.write(files.cert, cert_to_pem(renewed.get()), kCertMode, Existing::replace);
  if (new_key) batch.write(files.key, key_to_pem(key.get()), kKeyMode, Existing::replace);
  batch.commit();
  out.written = batch.written();
  out.notes.push_back(
      "the previous certificate (serial " + serial_hex(X509_get0_serialNumber(old.get())) +
      ") stays valid until it expires" +
      (new_key ? "; revoke it with `dockgate certs revoke SERIAL` if its key is compromised" : ""));
  return out;
}

CrlContents Authority::current_crl() const {
  if (!present(layout_.crl())) return {};
  Crl crl = crl_from_pem(files::read_file(layout_.crl(), "the CRL"), layout_.crl(), ca_.get());
  return crl_contents(crl.get());
}

Outcome Authority::revoke(const std::string& name_or_serial) {
  // A client name first: names are what people remember. Otherwise a serial, which may belong to any
  // certificate under --dir (a current client's revokes that client), or to none that is still on disk.
  Outcome out;
  std::string client;
  std::string serial;
  fs::path named = client_files(layout_, name_or_serial).cert;
  if (name_or_serial.find_first_of("./") == std::string::npos && present(named)) {
    client = name_or_serial;
    serial = serial_hex(X509_get0_serialNumber(load_cert(named, "the client certificate").get()));
  } else {
    serial = normalise_serial(name_or_serial);
    if (serial.empty()) {
      throw Error("\"" + name_or_serial + "\" is neither a client in " + (layout_.dir / "clients").string() +
                  " nor a serial number (hex, as `dockgate certs list` shows it)");
    }
    bool known = false;
    for (const Entry& e : list_entries(layout_)) {
      if (e.info.serial != serial) continue;
      known = true;
      if (e.role == Role::client && e.cert.parent_path().parent_path() == layout_.dir / "clients")
        client = e.name;
    }
    if (!known) {
      out.notes.push_back(
          "no certificate with serial " + serial + " is under " + layout_.dir.string() +
          "; it is revoked all the same (check `dockgate certs list` if you meant a client name)");
    }
  }
  if (serial == serial_hex(X509_get0_serialNumber(ca_.get()))) {
    throw Error("serial " + serial +
                " is the CA itself; a CA cannot revoke itself: run `dockgate certs init --force`");
  }

  CrlContents crl = current_crl();
  for (const auto& r : crl.revoked) {
    if (r.serial == serial) {
      throw Error("serial " + serial + " is already revoked (since " + utc_text(r.when) + ")");
    }
  }
  crl.revoked.push_back({serial, std::time(nullptr)});
  crl.number += 1;
  Crl signed_crl = sign_crl(signer(), crl);

  Batch batch;
  batch.write(layout_.crl(), crl_to_pem(signed_crl.get()), kCertMode, Existing::replace);
  if (!client.empty()) {
    fs::path aside = layout_.revoked_dir() / (client + "-" + serial.substr(0, 8));
    batch.make_dir(layout_.revoked_dir(), kDirMode);
    batch.move(layout_.client_dir(client), aside);
    out.notes.push_back("revoked client \"" + client + "\" (serial " + serial + "); its files moved to " +
                        aside.string() + " and the name is free again");
  } else {
    out.notes.push_back("revoked serial " + serial);
  }
  batch.commit();
  out.written = batch.written();
  out.notes.push_back(
      "a running dockgate serve reads the new CRL within 2 s and refuses this client from then on (no "
      "restart); "
      "dockerd's own TLS listener does not check CRLs at all");
  return out;
}

Outcome Authority::resign_crl() {
  CrlContents crl = current_crl();
  crl.number += 1;
  Crl signed_crl = sign_crl(signer(), crl);
  Batch batch;
  batch.write(layout_.crl(), crl_to_pem(signed_crl.get()), kCertMode, Existing::replace);
  batch.commit();
  return {batch.written(), {}};
}

std::vector<Entry> list_entries(const Layout& layout) {
  std::vector<Entry> out;
  if (!present(layout.ca_cert())) {
    throw Error("no CA in " + layout.dir.string() + ": run `dockgate certs init --dir " +
                layout.dir.string() + "` first, or pass --dir");
  }
  Cert ca = load_cert(layout.ca_cert(), "the CA certificate");
  std::vector<std::string> revoked;
  if (present(layout.crl())) {
    Crl crl = crl_from_pem(files::read_file(layout.crl(), "the CRL"), layout.crl(), ca.get());
    for (const auto& r : crl_contents(crl.get()).revoked) revoked.push_back(r.serial);
  }
  auto add = [&](Role role, const std::string& name, const fs::path& cert_path) {
    if (!present(cert_path)) return;
    Cert cert = load_cert(cert_path, "the certificate");
    Entry e{role, name, cert_path, describe_certificate(cert.get()), false};
    e.revoked = std::find(revoked.begin(), revoked.end(), e.info.serial) != revoked.end();
    out.push_back(std::move(e));
  };
  add(Role::ca, "", layout.ca_cert());
  add(Role::server, "", server_files(layout, "").cert);
  auto scan = [&](const fs::path& dir, Role role, const char* file) {
    std::error_code ec;
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(dir, ec)) dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& d : dirs) add(role, d.filename().string(), d / file);
  };
  scan(layout.dir / "servers", Role::server, "server-cert.pem");
  scan(layout.dir / "clients", Role::client, "cert.pem");
  scan(layout.revoked_dir(), Role::client, "cert.pem");
  return out;
}

}  // namespace dockgate::pki

namespace dockgate::pki {

std::optional<bool> revoked_in(const Layout& layout, X509* cert) {
  if (!present(layout.ca_cert())) return std::nullopt;
  Cert ca = load_cert(layout.ca_cert(), "the CA certificate");
  if (X509_check_issued(ca.get(), cert) != X509_V_OK || X509_verify(cert, X509_get0_pubkey(ca.get())) != 1) {
    openssl_errors();
    return std::nullopt;
  }
  if (!present(layout.crl())) return false;
  Crl crl = crl_from_pem(files::read_file(layout.crl(), "the CRL"), layout.crl(), ca.get());
  std::string serial = serial_hex(X509_get0_serialNumber(cert));
  for (const auto& r : crl_contents(crl.get()).revoked) {
    if (r.serial == serial) return true;
  }
  return false;
}

}  // namespace dockgate::pki
