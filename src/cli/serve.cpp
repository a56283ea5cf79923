// `dockgate serve`: dockerd's listening and TLS flags in, settings merged with the config file, then the
// gateway runs until a signal. Flags mirror dockerd's one to one where dockerd has them.
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "audit/sink.hpp"
#include "authz/policy.hpp"
#include "cli/commands.hpp"
#include "config/settings.hpp"
#include "error.hpp"
#include "files/batch.hpp"
#include "files/state_dir.hpp"
#include "gateway/gateway.hpp"
#include "net/engine.hpp"
#include "net/listeners.hpp"
#include "obs/log.hpp"
#include "tls/key_decoding.hpp"
#include "tls/material.hpp"

namespace dockgate::cli {
namespace {

// Which state directory, TLS files and policy the gateway serves with, in one line for the log at start
// and on each reload and for --validate: a gateway started where the environment differs from a shell's
// (systemd-socket-activate passes none on) would otherwise serve another PKI without a word.
std::string served_with(const std::filesystem::path& state_dir, const tls::Files* files,
                        const config::Settings& settings) {
  std::string out = "state directory " + state_dir.string();
  if (files != nullptr) {
    out +=
        "; --tlscacert " + (files->ca.empty() ? std::string("(none: clients are not verified)") : files->ca);
    out += "; --tlscert " + files->cert + "; --tlskey " + files->key;
    out += "; --tlscrl " + (files->crl.empty() ? std::string("(none)") : files->crl);
  } else {
    out += "; no TLS";
  }
  out += "; --policy " +
         (settings.policy.empty() ? std::string("(none: every verified client is admin)") : settings.policy);
  return out;
}

struct ServeFlags {
  std::vector<std::string> hosts;
  bool tls = true, tlsverify = true, allow_insecure_tcp = false, validate = false;
  std::string policy, tlscacert, tlscert, tlskey, tlscrl, group = "docker", upstream, config_file;
  std::string log_level = "info", log_format, audit_log;
};

// Only what the command line set explicitly, so that the config file may supply the rest and a directive
// in both places is the conflict dockerd reports.
config::Directives flag_directives(const ServeFlags& f, const CLI::App& cmd) {
  config::Directives d = config::Directives::object();
  auto set = [&](const char* flag, const char* key, const auto& value) {
    if (cmd.count(flag) > 0) d[key] = value;
  };
  set("--host", "hosts", f.hosts);
  set("--tls", "tls", f.tls);
  set("--tlsverify", "tlsverify", f.tlsverify);
  set("--tlscacert", "tlscacert", f.tlscacert);
  set("--tlscert", "tlscert", f.tlscert);
  set("--tlskey", "tlskey", f.tlskey);
  set("--tlscrl", "tlscrl", f.tlscrl);
  set("--group", "group", f.group);
  set("--upstream", "upstream", f.upstream);
  set("--policy", "policy", f.policy);
  set("--audit-log", "audit-log", f.audit_log);
  set("--allow-insecure-tcp", "allow-insecure-tcp", f.allow_insecure_tcp);
  return d;
}

// The DOCKER_HOST a client on this machine would use for the first TLS TCP listener.
std::string client_host(const std::vector<config::ListenAddress>& addresses) {
  for (const auto& a : addresses) {
    if (a.kind != config::ListenAddress::Kind::tcp) continue;
    std::string host = a.host;
    if (host.empty() || host == "0.0.0.0" || host == "::") host = "127.0.0.1";
    if (host.find(':') != std::string::npos) host.insert(0, "[").append("]");
    std::string out = "tcp://";
    out += host;
    out += ":" + std::to_string(a.port);
    return out;
  }
  return "tcp://HOST:2376";
}

// The policy file, or every client as admin without one (what dockerd does).
std::shared_ptr<const authz::Policy> load_policy(const config::Settings& settings) {
  if (settings.policy.empty()) return authz::Policy::allow_all();
  return authz::Policy::parse(files::read_file(settings.policy, "--policy"), settings.policy);
}

// The first server context, with OpenSSL set up for serving. Key decoding goes the pre-provider way from
// here on, so the first start's keys must be made before this (key_decoding.hpp).
tls::Context serving_context(const tls::Files& files) {
  tls::KeyDecoding decoding = tls::use_builtin_ec_key_decoding();
  obs::log(obs::Level::debug, "certificate key decoding",
           {{"builtin_ec", decoding.builtin_ec ? "yes" : "no"}, {"why", decoding.why}});
  return tls::make_server_context(files);
}

void serve(const ServeFlags& f, const CLI::App& cmd) {
  obs::init_logging(obs::parse_level(f.log_level), f.log_format);
  config::Directives file = config::Directives::object();
  if (!f.config_file.empty()) {
    file = config::parse_config_file(files::read_file(f.config_file, "--config-file"), f.config_file);
  }
  config::Settings settings = config::merge(flag_directives(f, cmd), file);
  std::vector<config::ListenAddress> addresses = config::listen_addresses(settings);
  config::ListenAddress engine = net::parse_engine_address(settings.upstream);

  bool needs_tls = settings.tls_enabled() &&
                   std::any_of(addresses.begin(), addresses.end(), [](const config::ListenAddress& a) {
                     return a.kind != config::ListenAddress::Kind::unix_socket;
                   });
  tls::Material material;
  tls::Context context;
  std::filesystem::path state_dir = files::default_state_dir();
  if (needs_tls) {
    // Only read here: the first start's PKI is made once everything else has opened (below), so that a
    // start that fails leaves no CA behind and the next one still shows the first-start message.
    material = tls::resolve_material(settings, state_dir, false);
    if (!material.bootstrap_pending) context = serving_context(material.files);
  }
  std::shared_ptr<const authz::Policy> policy = load_policy(settings);
  std::string using_files = served_with(state_dir, needs_tls ? &material.files : nullptr, settings);
  if (f.validate) {
    std::cout << "configuration OK";
    if (material.bootstrap_pending) {
      std::cout << " (no TLS files yet: the first start creates them in " << state_dir.string() << ")";
    }
    std::cout << "\n  " << using_files << std::endl;
    return;
  }

  std::vector<std::string> warnings;
  gateway::Options options;
  options.listeners = net::open_listeners(addresses, settings.group, warnings);
  // The unix socket files this process made go if the start fails from here on; once serving, the gateway
  // removes them when it stops accepting.
  struct SocketFiles {
    std::vector<net::Listener> listeners;
    bool serving = false;
    ~SocketFiles() {
      if (!serving) net::remove_socket_files(listeners);
    }
  } socket_files{options.listeners};
  for (const auto& w : warnings) obs::log(obs::Level::warn, w);
  // Sockets from systemd are only known once adopted: hold them to the same rule as -H tcp://.
  for (const auto& l : options.listeners) config::check_exposure(settings, l.name, !l.is_unix, l.is_loopback);
  if (!settings.audit_log.empty()) options.audit = audit::open_sink(settings.audit_log);
  if (material.bootstrap_pending) {
    material = tls::resolve_material(settings, state_dir, true);
    context = serving_context(material.files);
    using_files = served_with(state_dir, &material.files, settings);
  }
  obs::log(obs::Level::info, "serving with", {{"files", using_files}});
  options.tls = context;
  options.policy = policy;
  // Hot reload: the same files, read again; any failure keeps what is in force.
  options.reload = [settings, state_dir, needs_tls] {
    gateway::Generation loaded;
    tls::Files files;
    if (needs_tls) {
      files = tls::resolve_material(settings, state_dir, false).files;
      loaded.tls = tls::make_server_context(files);
    }
    loaded.policy = load_policy(settings);
    loaded.described = served_with(state_dir, needs_tls ? &files : nullptr, settings);
    return loaded;
  };
  if (needs_tls) options.watched = material.watched();
  if (!settings.policy.empty()) options.watched.push_back(settings.policy);
  if (policy->is_default()) {
    obs::log(obs::Level::warn, "no --policy: every client with a valid certificate has full access (admin)");
  } else {
    obs::log(obs::Level::info, "policy loaded", {{"file", settings.policy}});
  }
  options.upstream = {engine, settings.upstream};

  if (material.created_client) {
    std::cout << "dockgate: first start: created a CA, a server certificate for this host and the client "
                 "bundle \"admin\" in "
              << state_dir.string() << "\n"
              << "To use this gateway from a docker client on this host:\n"
              << "  export DOCKER_HOST=" << client_host(addresses) << "\n"
              << "  export DOCKER_TLS_VERIFY=1\n"
              << "  export DOCKER_CERT_PATH=" << material.created_client->string() << "\n"
              << "Issue more clients with `dockgate certs issue client NAME --dir " << state_dir.string()
              << "`. To reach this gateway from other machines, listen on an address they can reach (-H "
                 "tcp://0.0.0.0:2376) with a server certificate for it (`dockgate certs issue server --force "
                 "--all-local-addresses --dir "
              << state_dir.string() << "`), then copy a client's directory there." << std::endl;
  }
  socket_files.serving = true;
  gateway::run(std::move(options));
}

}  // namespace

void add_serve(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  const std::filesystem::path state = files::default_state_dir();  // where the TLS files are by default
  CLI::App* cmd = app.add_subcommand("serve", "Run the gateway: mutual TLS in front of the Docker engine");
  cmd->add_option("-H,--host", f->hosts,
                  "Address to listen on (repeatable): tcp://HOST:PORT, unix://PATH, fd://, fd://N, fd://NAME "
                  "(default: tcp://localhost:2376 with TLS, unix:///var/run/docker.sock with --tls=false)")
      ->allow_extra_args(false)
      ->type_name("ADDRESS");
  cmd->add_flag("--tls", f->tls, "Use TLS (default true; --tls=false for plain HTTP on loopback)");
  cmd->add_flag("--tlsverify", f->tlsverify, "Verify client certificates (default true; implies --tls)");
  cmd->add_option(
         "--tlscacert", f->tlscacert,
         "Trust client certificates signed only by this CA (default: " + (state / "ca.pem").string() + ")")
      ->type_name("FILE");
  cmd->add_option("--tlscert", f->tlscert,
                  "The server's TLS certificate (default: " + (state / "server-cert.pem").string() + ")")
      ->type_name("FILE");
  cmd->add_option("--tlskey", f->tlskey,
                  "The server's TLS key (default: " + (state / "server-key.pem").string() + ")")
      ->type_name("FILE");
  cmd->add_option(
         "--tlscrl", f->tlscrl,
         "Refuse client certificates this CRL revokes (default: crl.pem beside --tlscacert, if there)")
      ->type_name("FILE");
  cmd->add_option("-G,--group", f->group, "Group owning the unix sockets")
      ->capture_default_str()
      ->type_name("GROUP");
  cmd->add_option("--upstream", f->upstream,
                  "The Docker engine to forward to (default: unix:///var/run/docker.sock)")
      ->type_name("ADDRESS");
  cmd->add_option("--policy", f->policy, "Policy file: which identities get which role (default: all admin)")
      ->type_name("FILE");
  cmd->add_option("--audit-log", f->audit_log, "One JSON line per request: a file, - (stdout) or journal")
      ->type_name("FILE");
  cmd->add_option("--config-file", f->config_file, "JSON config file with the same directives")
      ->type_name("FILE");
  cmd->add_flag("--allow-insecure-tcp", f->allow_insecure_tcp,
                "Allow plain or unverified TCP on non-loopback addresses (gives root to the network)");
  cmd->add_flag("--validate", f->validate,
                "Check the configuration and TLS files, print \"configuration OK\"");
  cmd->add_option("-l,--log-level", f->log_level, "debug, info, warn or error")
      ->capture_default_str()
      ->type_name("LEVEL");
  cmd->add_option("--log-format", f->log_format, "text or json (default: text on a terminal, else json)")
      ->type_name("FORMAT");
  cmd->callback([f, cmd] { serve(*f, *cmd); });
}

}  // namespace dockgate::cli
