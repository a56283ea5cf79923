// Planning `setup dockerd`. The rules come from moby: daemon/config/config.go (findConfigurationConflicts:
// a directive may be a flag or a daemon.json key, never both), daemon/listeners (which listeners get TLS),
// and the systemd units Docker ships.
#include "setup/dockerd.hpp"

#include <algorithm>

#include "config/json_file.hpp"
#include "config/listen_address.hpp"
#include "error.hpp"
#include "tls/context.hpp"

namespace dockgate::setup {

namespace {

// Flags whose daemon.json key is not their own name: dockerd's "named options" and short forms.
const std::map<std::string, std::string>& flag_keys() {
  static const std::map<std::string, std::string> keys = {
      {"H", "hosts"},
      {"host", "hosts"},
      {"D", "debug"},
      {"G", "group"},
      {"l", "log-level"},
      {"p", "pidfile"},
      {"label", "labels"},
      {"dns-opt", "dns-opts"},
      {"insecure-registry", "insecure-registries"},
      {"registry-mirror", "registry-mirrors"},
      {"storage-opt", "storage-opts"},
      {"log-opt", "log-opts"},
      {"exec-opt", "exec-opts"},
      {"default-ulimit", "default-ulimits"},
      {"add-runtime", "runtimes"},
      {"authorization-plugin", "authorization-plugins"},
      {"node-generic-resource", "node-generic-resources"},
      {"default-address-pool", "default-address-pools"},
      {"allow-nondistributable-artifacts", "allow-nondistributable-artifacts"},
  };
  return keys;
}

bool is_tls_file_flag(const std::string& name) {
  return name == "tlscacert" || name == "tlscert" || name == "tlskey";
}

bool bool_value(const std::optional<std::string>& v) {
  return !v || *v == "true" || *v == "1" || *v == "t" || *v == "T" || *v == "TRUE" || *v == "True";
}

}  // namespace

DockerdFlags parse_dockerd_flags(const std::vector<std::string>& argv) {
  DockerdFlags f;
  if (argv.empty()) return f;
  f.kept.push_back(argv[0]);
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& t = argv[i];
    if (t.size() < 2 || t[0] != '-' || t == "--") {
      f.kept.push_back(t);
      continue;
    }
    std::string name;
    std::optional<std::string> value;
    if (t[1] == '-') {
      size_t eq = t.find('=');
      name = t.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (eq != std::string::npos) value = t.substr(eq + 1);
    } else {
      name = t.substr(1, 1);
      if (t.size() > 2) value = t[2] == '=' ? t.substr(3) : t.substr(2);
    }
    auto key_it = flag_keys().find(name);
    std::string key = key_it == flag_keys().end() ? name : key_it->second;

    if (key == "hosts" || is_tls_file_flag(name)) {
      if (!value && i + 1 < argv.size()) value = argv[++i];
      if (key == "hosts") f.hosts.push_back(value.value_or(""));
      f.keys[key] = t + (t.find('=') == std::string::npos && value ? " " + *value : "");
      continue;  // removed from the command line
    }
    if (name == "tls" || name == "tlsverify") {
      (name == "tls" ? f.tls : f.tlsverify) = bool_value(value);
      f.keys[name] = t;
      continue;
    }
    f.keys[key] = t;
    f.kept.push_back(t);
  }
  return f;
}

std::optional<nlohmann::ordered_json> read_daemon_json(const Host& host) {
  std::optional<std::string> text = host.read(kDaemonJson);
  if (!text) return std::nullopt;
  std::string where = std::string(kDaemonJson) + ": ";
  // dockerd treats an empty or whitespace-only daemon.json as no configuration at all.
  if (text->find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::ordered_json::object();
  nlohmann::ordered_json j = config::parse_ordered_json_text(*text, where);
  if (!j.is_object()) {
    throw Error(where + "the top level must be a JSON object ({...}); dockerd will not start with this file");
  }
  return j;
}

std::vector<std::string> conflicting_keys(const DockerdFlags& flags, const nlohmann::ordered_json& config) {
  std::vector<std::string> out;
  for (const auto& [key, flag] : flags.keys) {
    if (config.contains(key)) out.push_back(key);
  }
  return out;
}

DockerdUnit load_dockerd_unit(const Host& host, const std::string& ignore_drop_in) {
  DockerdUnit u{load_service(host, "docker.service", ignore_drop_in), {}, {}};
  if (!u.service.found()) {
    throw Error(
        "no docker.service unit in /etc/systemd/system, /lib/systemd/system or /usr/lib/systemd/system: "
        "install Docker first (Debian: apt install docker.io)");
  }
  if (u.service.exec_start.empty()) {
    throw Error(u.service.fragment +
                " and its drop-ins leave docker.service without ExecStart=; "
                "systemd cannot start it (see `dockgate setup check`)");
  }
  u.argv = split_command(u.service.exec_start.back().value);
  u.expanded_argv = expand_words(u.argv, service_environment(host, u.service));
  return u;
}

namespace {

// The unit as systemd would run it: an ExecStart= that replaces the one before it, and no -H or TLS flag
// hidden in an environment file (they would conflict with the daemon.json this setup writes).
void check_unit(const DockerdUnit& unit, const DockerdFlags& raw) {
  if (!unit.service.uncleared_exec_start.empty()) {
    const auto& bad = unit.service.uncleared_exec_start.front();
    throw Error(bad.file + ":" + std::to_string(bad.line) +
                ": sets ExecStart= without clearing it first (an empty `ExecStart=` line before it), so "
                "systemd refuses to start docker.service; fix that drop-in first");
  }
  DockerdFlags expanded = parse_dockerd_flags(unit.expanded_argv);
  if (expanded.hosts.size() != raw.hosts.size() ||
      expanded.keys.contains("tlsverify") != raw.keys.contains("tlsverify") ||
      expanded.keys.contains("tlscert") != raw.keys.contains("tlscert")) {
    throw Error(
        "an environment file of docker.service (DOCKER_OPTS in /etc/default/docker, usually) sets -H or TLS "
        "flags; remove them there, since they would conflict with the daemon.json this setup writes");
  }
}

// Which addresses dockerd should listen on: as given, or the local socket where local clients find it (under
// -H fd:// that is docker.socket's /run/docker.sock, which /var/run/docker.sock names too) and port 2376.
std::vector<std::string> wanted_hosts(const DockerdSetup& setup, const DockerdFlags& raw,
                                      const nlohmann::ordered_json& config) {
  if (!setup.hosts.empty()) return setup.hosts;
  std::vector<std::string> hosts;
  auto add = [&hosts](const std::string& h) {
    if (std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(h);
  };
  for (const auto& h : raw.hosts) {
    if (h.starts_with("unix://")) add(h);
    if (h.starts_with("fd://")) add("unix:///var/run/docker.sock");
  }
  if (config.contains("hosts") && config["hosts"].is_array()) {
    for (const auto& h : config["hosts"]) {
      if (h.is_string() && h.get<std::string>().starts_with("unix://")) add(h.get<std::string>());
    }
  }
  if (hosts.empty()) add("unix:///var/run/docker.sock");
  add(setup.tls ? "tcp://0.0.0.0:2376" : "tcp://127.0.0.1:2375");
  return hosts;
}

struct Listeners {
  std::vector<config::ListenAddress> tcp;
  std::vector<std::string> normalised;  // every address as dockerd writes it
};

// The addresses parsed as dockerd parses them; plain TCP off loopback only when asked for by name.
Listeners check_listeners(const std::vector<std::string>& hosts, const DockerdSetup& setup) {
  Listeners out;
  for (const auto& h : hosts) {
    config::ListenAddress a = config::parse_listen_address(h, setup.tls);
    if (a.kind == config::ListenAddress::Kind::fd) {
      throw Error("-H " + h +
                  ": fd:// is what --socket-unit sets up; give unix:// and tcp:// addresses here");
    }
    if (a.kind == config::ListenAddress::Kind::tcp) {
      if (!setup.tls && !config::is_loopback_host(a.host) && !setup.allow_insecure_tcp) {
        throw Error("refusing -H " + a.text() +
                    " without TLS: anyone who can reach that port is root on this host, with no password and "
                    "no certificate. Drop --tls=false, listen on 127.0.0.1, or pass --allow-insecure-tcp if "
                    "you really mean it");
      }
      out.tcp.push_back(a);
    }
    out.normalised.push_back(a.text());
  }
  if (out.tcp.empty()) throw Error("no tcp:// address among -H: nothing would listen remotely");
  return out;
}

struct TlsFiles {
  std::string ca, cert, key;
};

// The TLS files of --certs, loaded as dockerd will load them (a key that does not match fails here).
TlsFiles check_tls_files(const Host& host, const DockerdSetup& setup) {
  std::filesystem::path dir = setup.certs_dir;
  TlsFiles f{(dir / "ca.pem").string(), (dir / "server-cert.pem").string(),
             (dir / "server-key.pem").string()};
  for (const auto& path : {f.ca, f.cert, f.key}) {
    if (!host.exists(path)) {
      throw Error("--certs " + setup.certs_dir + ": " + path +
                  " does not exist; create the PKI with `dockgate certs init --dir " + setup.certs_dir +
                  "` first");
    }
  }
  tls::make_server_context(
      {host.on_disk(f.ca).string(), host.on_disk(f.cert).string(), host.on_disk(f.key).string(), "", true});
  return f;
}

// daemon.json with the listeners (unless systemd passes them) and the TLS keys; every other key kept, in
// its place.
void update_daemon_json(nlohmann::ordered_json& config, const DockerdSetup& setup, const Listeners& listeners,
                        const std::optional<TlsFiles>& tls) {
  if (setup.socket_unit) {
    if (config.contains("hosts")) {
      throw Error(std::string(kDaemonJson) +
                  " sets \"hosts\"; with --socket-unit, dockerd's listeners come from systemd (-H fd://) and "
                  "\"hosts\" would conflict: remove it, or set up without --socket-unit");
    }
  } else {
    config["hosts"] = listeners.normalised;
  }
  if (tls) {
    config["tlsverify"] = true;
    config["tlscacert"] = tls->ca;
    config["tlscert"] = tls->cert;
    config["tlskey"] = tls->key;
  }
}

// The new command line: the old one without listeners and TLS flags (with --socket-unit, -H fd:// and the
// unix sockets: dockerd wraps every socket systemd passes in TLS, daemon/listeners'
// activation.TLSListeners, the local docker.socket too, so a unix:// listener of its own keeps local
// clients on plain HTTP). Refused when a directive would be both a flag and a daemon.json key.
std::vector<std::string> new_command_line(const DockerdUnit& unit, const DockerdFlags& raw,
                                          const DockerdSetup& setup, const Listeners& listeners,
                                          const nlohmann::ordered_json& config) {
  std::vector<std::string> argv = raw.kept;
  if (setup.socket_unit) {
    std::vector<std::string> listen = {"-H", "fd://"};
    for (const auto& h : listeners.normalised) {
      if (h.starts_with("unix://")) listen.insert(listen.end(), {"-H", h});
    }
    argv.insert(argv.begin() + 1, listen.begin(), listen.end());
  }
  DockerdFlags after = parse_dockerd_flags(argv);
  if (auto both = conflicting_keys(after, config); !both.empty()) {
    std::string list;
    for (const auto& k : both) list += (list.empty() ? "" : ", ") + k + " (flag " + after.keys.at(k) + ")";
    throw Error("docker.service's ExecStart (" + unit.service.exec_start.back().file + ") and " +
                kDaemonJson + " would both set " + list +
                "; dockerd refuses to start when a directive is in both places. Remove one of them first");
  }
  return argv;
}

std::string drop_in_text(const DockerdSetup& setup, const std::vector<std::string>& argv) {
  std::string text =
      "# Written by `dockgate setup dockerd`.\n"
      "# dockerd refuses to start when a setting is both a flag and a daemon.json key, so ExecStart= is\n"
      "# cleared and repeated without the -H and TLS flags: " +
      std::string(setup.socket_unit ? "TLS files" : "listeners and TLS files") + " are in " + kDaemonJson +
      ".\n";
  if (setup.socket_unit) {
    text +=
        "# dockerd gets its TCP socket from docker-tcp.socket; requiring it here makes systemd start the\n"
        "# socket first, whatever order people type the commands in.\n"
        "[Unit]\nRequires=docker-tcp.socket\nAfter=docker-tcp.socket\n\n";
  }
  return text + "[Service]\nExecStart=\nExecStart=" + join_command(argv) + "\n";
}

std::string socket_unit_text(const DockerdSetup& setup, const Listeners& listeners) {
  std::string text =
      "# Written by `dockgate setup dockerd --socket-unit`: the CoreOS way of giving dockerd a TCP "
      "socket.\n"
      "[Unit]\nDescription=Docker API over TCP" +
      std::string(setup.tls ? " with mutual TLS" : "") + "\n\n[Socket]\n";
  for (const auto& a : listeners.tcp) text += "ListenStream=" + listen_stream(a) + "\n";
  return text + "Service=docker.service\n\n[Install]\nWantedBy=sockets.target\n";
}

// What the operator should know: each TCP listener and who may use it, and listeners that go away.
std::vector<std::string> notes_for(const DockerdSetup& setup, const Listeners& listeners,
                                   const std::optional<TlsFiles>& tls,
                                   const std::optional<nlohmann::ordered_json>& existing) {
  std::vector<std::string> notes;
  for (const auto& a : listeners.tcp) {
    if (tls) {
      notes.push_back("dockerd will listen on " + a.text() +
                      " with mutual TLS: clients need a certificate from " + tls->ca +
                      " (dockgate certs issue client NAME --dir " + setup.certs_dir + ")");
    } else {
      notes.push_back("dockerd will listen on " + a.text() + " WITHOUT TLS");
    }
  }
  if (existing && existing->contains("hosts") && !setup.socket_unit) {
    for (const auto& h : (*existing)["hosts"]) {
      if (h.is_string() && std::find(listeners.normalised.begin(), listeners.normalised.end(),
                                     h.get<std::string>()) == listeners.normalised.end()) {
        notes.push_back("no longer listening on " + h.get<std::string>() + " (it was in daemon.json)");
      }
    }
  }
  return notes;
}

}  // namespace

SetupResult plan_dockerd(const Host& host, const DockerdSetup& setup) {
  // The unit as it would be without our own drop-in, so that running setup again plans the same files.
  DockerdUnit unit = load_dockerd_unit(host, kDockerDropInName);
  DockerdFlags raw = parse_dockerd_flags(unit.argv);
  check_unit(unit, raw);
  std::optional<nlohmann::ordered_json> existing = read_daemon_json(host);
  nlohmann::ordered_json config = existing.value_or(nlohmann::ordered_json::object());
  Listeners listeners = check_listeners(wanted_hosts(setup, raw, config), setup);
  std::optional<TlsFiles> tls;
  if (setup.tls) tls = check_tls_files(host, setup);
  update_daemon_json(config, setup, listeners, tls);
  std::vector<std::string> argv = new_command_line(unit, raw, setup, listeners, config);

  SetupResult r;
  r.plan.write(host, kDaemonJson, config.dump(2) + "\n", 0644, /*backup=*/true);
  r.plan.write(host, kDockerDropIn, drop_in_text(setup, argv), 0644);
  if (setup.socket_unit) {
    r.plan.write(host, kDockerTcpSocket, socket_unit_text(setup, listeners), 0644);
    r.next_commands = {"systemctl daemon-reload", "systemctl enable --now docker-tcp.socket",
                       "systemctl restart docker"};
  } else {
    r.next_commands = {"systemctl daemon-reload", "systemctl restart docker"};
  }
  r.notes = notes_for(setup, listeners, tls, existing);
  return r;
}

}  // namespace dockgate::setup
