// `dockgate certs`: flags in, a pki:: operation, then what was made and what to do next, in words or JSON.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "error.hpp"
#include "files/batch.hpp"
#include "files/state_dir.hpp"
#include "pki/authority.hpp"

namespace dockgate::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct CommonFlags {
  std::string dir;
  std::string passphrase_file;

  pki::Layout layout() const { return {fs::absolute(dir)}; }
  std::optional<std::string> passphrase() const {
    if (passphrase_file.empty()) return std::nullopt;
    return pki::read_passphrase_file(passphrase_file, "--ca-passphrase-file");
  }
  // The CA in --dir, loaded for signing.
  pki::Authority authority() const { return {layout(), passphrase()}; }
};

void add_dir_flag(CLI::App* cmd, CommonFlags& f) {
  f.dir = files::default_state_dir().string();
  cmd->add_option("--dir", f.dir, "PKI directory")->capture_default_str()->type_name("DIR");
}

void add_passphrase_flag(CLI::App* cmd, CommonFlags& f, const char* help) {
  cmd->add_option("--ca-passphrase-file", f.passphrase_file, help)->type_name("FILE");
}

void add_server_name_flags(CLI::App* cmd, pki::ServerNames& names) {
  cmd->add_option("--host", names.hosts,
                  "DNS name or IP address clients dial (repeatable); told apart automatically")
      ->type_name("HOST");
  cmd->add_flag("--no-local", names.no_local, "do not add localhost, 127.0.0.1 and ::1");
  cmd->add_flag("--all-local-addresses", names.all_local,
                "add this machine's host name and every interface address");
}

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

std::string sans_text(const pki::CertInfo& info) {
  std::vector<std::string> all;
  for (const auto& d : info.dns_names) all.push_back("DNS:" + d);
  for (const auto& i : info.ip_addresses) all.push_back("IP:" + i);
  for (const auto& u : info.uris) all.push_back("URI:" + u);
  for (const auto& e : info.emails) all.push_back("email:" + e);
  return join(all);
}

std::string status_of(const pki::CertInfo& info, bool revoked) {
  if (revoked) return "revoked";
  if (info.days_left < 0) return "expired";
  if (info.expiring()) return "expiring";
  return "valid";
}

json info_json(const pki::CertInfo& i) {
  return json{{"subject", i.subject},
              {"issuer", i.issuer},
              {"common_name", i.common_name},
              {"organizational_units", i.organizational_units},
              {"serial", i.serial},
              {"sha256_fingerprint", i.sha256_fingerprint},
              {"not_before", i.not_before},
              {"not_after", i.not_after},
              {"days_left", i.days_left},
              {"is_ca", i.is_ca},
              {"key", i.key},
              {"dns_names", i.dns_names},
              {"ip_addresses", i.ip_addresses},
              {"uris", i.uris},
              {"emails", i.emails},
              {"groups", i.groups},
              {"key_usage", i.key_usage},
              {"extended_key_usage", i.extended_key_usage}};
}

void print_outcome(const pki::Outcome& out) {
  for (const auto& p : out.written) std::cout << "wrote " << p.string() << "\n";
  for (const auto& n : out.notes) std::cout << "note: " << n << "\n";
}

// How a client dials the new server: the first --host, or loopback when only local names were asked for.
std::string dial_address(const pki::ServerNames& names) {
  if (names.hosts.empty()) return "tcp://127.0.0.1:2376";
  pki::HostName h = pki::parse_host(names.hosts.front());
  bool v6 = h.kind == pki::HostName::Kind::ip && h.value.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + h.value + "]" : h.value) + ":2376";
}

// Where dockerd should listen: every interface when the certificate names remote hosts, else loopback only.
std::string listen_address(const pki::ServerNames& names) {
  return names.hosts.empty() && !names.all_local ? "tcp://127.0.0.1:2376" : "tcp://0.0.0.0:2376";
}

void run_init(const CommonFlags& common, pki::InitOptions opts, const std::string& key_type) {
  opts.layout = common.layout();
  opts.key_type = pki::parse_key_type(key_type);
  opts.ca_passphrase = common.passphrase();
  std::vector<pki::HostName> hosts = pki::server_hosts(opts.server);
  pki::Outcome out = pki::init_pki(opts);
  print_outcome(out);

  const fs::path& d = opts.layout.dir;
  std::vector<std::string> names;
  names.reserve(hosts.size());
  for (const auto& h : hosts) names.push_back(h.value);
  std::cout << "\nA new PKI (" << key_type << " keys) in " << d.string() << ":\n"
            << "  CA       " << opts.layout.ca_cert().string() << " (its key signs every certificate: keep "
            << opts.layout.ca_key().filename().string() << " safe)\n"
            << "  server   " << (d / "server-cert.pem").string() << ", valid for " << join(names) << "\n"
            << "  client   " << opts.layout.client_dir(opts.client_name).string() << "/\n"
            << "\nServe the Docker API with them through dockgate (per-client roles, revocation, audit):\n"
            << "  DOCKGATE_STATE_DIR=" << d.string() << " dockgate serve -H " << listen_address(opts.server)
            << "\n"
            << "or with dockerd's own TLS listener (every client is root on the host):\n"
            << "  dockerd --tlsverify --tlscacert=" << opts.layout.ca_cert().string()
            << " --tlscert=" << (d / "server-cert.pem").string()
            << " --tlskey=" << (d / "server-key.pem").string() << " -H " << listen_address(opts.server)
            << "\n"
            << "\nAnd point a docker client at it:\n"
            << "  export DOCKER_HOST=" << dial_address(opts.server) << "\n"
            << "  export DOCKER_TLS_VERIFY=1\n"
            << "  export DOCKER_CERT_PATH=" << opts.layout.client_dir(opts.client_name).string() << "\n";
}

// FILE, or the name of a client in --dir. With a CA in --dir that issued it, the status includes revocation.
void run_show(const CommonFlags& common, const std::string& target, bool as_json) {
  pki::Layout layout = common.layout();
  std::string file = target;
  if (!fs::exists(file) && target.find('/') == std::string::npos &&
      fs::exists(pki::client_files(layout, target).cert)) {
    file = pki::client_files(layout, target).cert.string();
  }
  pki::Cert cert = pki::cert_from_pem(files::read_file(file, "the certificate"), file);
  pki::CertInfo i = pki::describe_certificate(cert.get());
  std::optional<bool> revoked = pki::revoked_in(layout, cert.get());
  std::string status = status_of(i, revoked.value_or(false));
  if (!revoked) status += " (revocation unknown: not issued by the CA in " + layout.dir.string() + ")";
  if (as_json) {
    json out = info_json(i);
    out["status"] = status_of(i, revoked.value_or(false));
    out["revoked"] = revoked ? json(*revoked) : json(nullptr);
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << file << "\n"
            << "  subject:        " << i.subject << "\n"
            << "  issuer:         " << i.issuer << "\n"
            << "  status:         " << status << "\n"
            << "  CA:             " << (i.is_ca ? "yes" : "no") << "\n";
  if (!i.groups.empty()) std::cout << "  groups:         " << join(i.groups) << "\n";
  std::cout << "  SANs:           " << (sans_text(i).empty() ? "(none)" : sans_text(i)) << "\n"
            << "  key:            " << i.key << "\n"
            << "  key usage:      " << (i.key_usage.empty() ? "(none)" : join(i.key_usage)) << "\n"
            << "  ext. key usage: " << (i.extended_key_usage.empty() ? "(none)" : join(i.extended_key_usage))
            << "\n"
            << "  serial:         " << i.serial << "\n"
            << "  SHA-256:        " << i.sha256_fingerprint << "\n"
            << "  valid from:     " << i.not_before << "\n"
            << "  valid until:    " << i.not_after << " ("
            << (i.days_left < 0 ? "expired " + std::to_string(-i.days_left) + " days ago"
                                : std::to_string(i.days_left) + " days left")
            << ")\n";
}

void run_list(const CommonFlags& common, bool as_json) {
  auto entries = pki::list_entries(common.layout());
  if (as_json) {
    json out = json::array();
    for (const auto& e : entries) {
      out.push_back(json{{"role", pki::role_name(e.role)},
                         {"name", e.name},
                         {"file", e.cert.string()},
                         {"status", status_of(e.info, e.revoked)},
                         {"certificate", info_json(e.info)}});
    }
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("%-7s %-28s %-33s %-21s %6s  %s\n", "ROLE", "NAME", "SERIAL", "EXPIRES", "DAYS", "STATUS");
  for (const auto& e : entries) {
    std::string name = e.name.empty() ? (e.role == pki::Role::ca ? e.info.common_name : "(default)") : e.name;
    std::printf("%-7s %-28s %-33s %-21s %6ld  %s\n", pki::role_name(e.role).c_str(), name.c_str(),
                e.info.serial.c_str(), e.info.not_after.c_str(), e.info.days_left,
                status_of(e.info, e.revoked).c_str());
  }
}

pki::Role parse_role(const std::string& text, bool allow_ca) {
  if (text == "server") return pki::Role::server;
  if (text == "client") return pki::Role::client;
  if (allow_ca && text == "ca") return pki::Role::ca;
  throw UsageError("unknown certificate kind \"" + text + "\": use " + (allow_ca ? "ca, " : "") +
                   "server or client");
}

}  // namespace

void add_certs(CLI::App& app) {
  CLI::App* certs = app.add_subcommand("certs", "Create and manage the CA, server and client certificates");
  certs->require_subcommand(1);
  const std::string key_help = "key type: " + pki::key_type_choices();

  {  // init
    auto* cmd =
        certs->add_subcommand("init", "Create a CA, a server certificate and a first client in one step");
    auto common = std::make_shared<CommonFlags>();
    auto opts = std::make_shared<pki::InitOptions>();
    auto key_type = std::make_shared<std::string>("ecdsa-p256");
    add_dir_flag(cmd, *common);
    add_passphrase_flag(cmd, *common,
                        "encrypt the CA key with AES-256 using the passphrase on this file's first line");
    add_server_name_flags(cmd, opts->server);
    cmd->add_option("--client", opts->client_name, "name of the first client")
        ->capture_default_str()
        ->type_name("NAME");
    cmd->add_option("--key-type", *key_type, key_help)->capture_default_str()->type_name("TYPE");
    cmd->add_flag("--force", opts->force, "replace an existing PKI in --dir");
    cmd->callback([=] { run_init(*common, *opts, *key_type); });
  }

  {  // issue server|client: one subcommand each, so that each --help shows its own options and defaults
    auto* issue = certs->add_subcommand("issue", "Issue another server or client certificate from the CA");
    issue->require_subcommand(1);
    for (pki::Role role : {pki::Role::server, pki::Role::client}) {
      const bool server = role == pki::Role::server;
      auto* cmd = issue->add_subcommand(
          server ? "server" : "client",
          server ? "Issue a server certificate: the names and addresses clients dial"
                 : "Issue a client certificate: an identity (its CN) and its groups for the policy");
      auto common = std::make_shared<CommonFlags>();
      auto names = std::make_shared<pki::ServerNames>();
      auto groups = std::make_shared<std::vector<std::string>>();
      auto name = std::make_shared<std::string>();
      auto key_type = std::make_shared<std::string>("ecdsa-p256");
      auto days = std::make_shared<int>(pki::default_days(role));
      auto force = std::make_shared<bool>(false);
      if (server) {
        cmd->add_option("NAME", *name,
                        "a name under servers/ for another server (default: the main server certificate in "
                        "--dir)");
      } else {
        cmd->add_option("NAME", *name, "the client's name: its identity (CN) in the policy and audit log")
            ->required();
      }
      add_dir_flag(cmd, *common);
      add_passphrase_flag(cmd, *common, "file holding the CA key's passphrase");
      add_server_name_flags(cmd, *names);
      cmd->add_option("--group", *groups, "a group for the authorization policy (repeatable)")
          ->type_name("GROUP");
      // The other kind's options are accepted, unlisted, to say whose they are (the parser would say only
      // "not expected").
      for (const char* other :
           server ? std::vector<const char*>{"--group"}
                  : std::vector<const char*>{"--host", "--no-local", "--all-local-addresses"}) {
        cmd->get_option(other)->group("");
      }
      cmd->add_option("--key-type", *key_type, key_help)->capture_default_str()->type_name("TYPE");
      cmd->add_option("--days", *days, "validity in days, 1 to 36500")
          ->check(CLI::Range(1, 36500))
          ->capture_default_str()
          ->type_name("DAYS");
      cmd->add_flag("--force", *force, "replace an existing certificate of that name");
      cmd->callback([=] {
        if (server && !groups->empty()) throw UsageError("--group applies to client certificates only");
        if (!server && (!names->hosts.empty() || names->no_local || names->all_local)) {
          throw UsageError("--host, --no-local and --all-local-addresses apply to server certificates only");
        }
        pki::KeyType type = pki::parse_key_type(*key_type);
        pki::Authority ca = common->authority();
        print_outcome(server ? ca.issue_server(*name, *names, type, *days, *force)
                             : ca.issue_client(*name, *groups, type, *days, *force));
      });
    }
  }

  {  // list
    auto* cmd = certs->add_subcommand("list", "List every certificate in --dir with its expiry and status");
    auto common = std::make_shared<CommonFlags>();
    auto as_json = std::make_shared<bool>(false);
    add_dir_flag(cmd, *common);
    cmd->add_flag("--json", *as_json, "print JSON");
    cmd->callback([=] { run_list(*common, *as_json); });
  }

  {  // show
    auto* cmd =
        certs->add_subcommand("show", "Describe a certificate: names, usages, serial, validity, status");
    auto common = std::make_shared<CommonFlags>();
    auto file = std::make_shared<std::string>();
    auto as_json = std::make_shared<bool>(false);
    cmd->add_option("FILE|NAME", *file, "a PEM certificate file, or the name of a client in --dir")
        ->required();
    add_dir_flag(cmd, *common);
    cmd->add_flag("--json", *as_json, "print JSON");
    cmd->callback([=] { run_show(*common, *file, *as_json); });
  }

  {  // renew
    auto* cmd =
        certs->add_subcommand("renew", "Re-issue the CA, a server or a client certificate with new dates");
    auto common = std::make_shared<CommonFlags>();
    auto kind = std::make_shared<std::string>();
    auto name = std::make_shared<std::string>();
    auto new_key = std::make_shared<bool>(false);
    auto days = std::make_shared<int>(0);
    cmd->add_option("KIND", *kind, "ca, server or client")->required();
    cmd->add_option("NAME", *name, "client name, or server name under servers/ (default: the main server)");
    add_dir_flag(cmd, *common);
    add_passphrase_flag(cmd, *common, "file holding the CA key's passphrase");
    cmd->add_flag("--new-key", *new_key, "generate a new key of the same type (not for the CA)");
    cmd->add_option("--days", *days,
                    "validity in days, 1 to 36500 (default: the kind's: 3650 for the CA, 825 "
                    "for servers, 365 for clients)")
        ->check(CLI::Range(1, 36500))
        ->type_name("DAYS");
    cmd->callback([=] {
      pki::Role role = parse_role(*kind, true);
      if (role == pki::Role::client && name->empty())
        throw UsageError("renewing a client certificate needs its NAME");
      if (role == pki::Role::ca && !name->empty()) throw UsageError("`certs renew ca` takes no NAME");
      pki::Authority ca = common->authority();
      print_outcome(ca.renew(role, *name, *new_key, *days > 0 ? std::optional<int>(*days) : std::nullopt));
    });
  }

  {  // revoke
    auto* cmd = certs->add_subcommand("revoke", "Revoke a client (by name) or any certificate (by serial)");
    auto common = std::make_shared<CommonFlags>();
    auto target = std::make_shared<std::string>();
    cmd->add_option("NAME|SERIAL", *target, "client name, or serial number in hex")->required();
    add_dir_flag(cmd, *common);
    add_passphrase_flag(cmd, *common, "file holding the CA key's passphrase");
    cmd->callback([=] {
      pki::Authority ca = common->authority();
      print_outcome(ca.revoke(*target));
    });
  }

  {  // crl
    auto* cmd = certs->add_subcommand("crl", "Sign the CRL anew with the same entries");
    auto common = std::make_shared<CommonFlags>();
    add_dir_flag(cmd, *common);
    add_passphrase_flag(cmd, *common, "file holding the CA key's passphrase");
    cmd->callback([=] {
      pki::Authority ca = common->authority();
      print_outcome(ca.resign_crl());
    });
  }
}

}  // namespace dockgate::cli
