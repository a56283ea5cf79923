// The checks of `setup check`, in the order a person would fix them: files that do not parse, units that
// do not load, settings that stop dockerd, then exposure (plain TCP in config and on the wire), then the
// TLS files themselves.
#include "setup/lint.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "ascii.hpp"
#include "config/json_file.hpp"
#include "config/listen_address.hpp"
#include "error.hpp"
#include "net/local_addresses.hpp"
#include "pki/certificate.hpp"
#include "pki/names.hpp"
#include "setup/dockerd.hpp"
#include "setup/gateway_units.hpp"
#include "setup/unit_file.hpp"

namespace dockgate::setup {

namespace fs = std::filesystem;

namespace {

using Severity = Finding::Severity;

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

bool json_true(const nlohmann::ordered_json& config, const char* key) {
  return config.contains(key) && config[key].is_boolean() && config[key].get<bool>();
}

std::string json_string(const nlohmann::ordered_json& config, const char* key) {
  return config.contains(key) && config[key].is_string() ? config[key].get<std::string>() : "";
}

// What a plain HTTP request to a loopback port gets back: true when a Docker API answers it unencrypted.
// A TLS listener (dockerd's or dockgate's) answers "400 ... HTTP request to an HTTPS server" instead.
bool answers_plain_docker_api(const std::string& address, unsigned port) {
  bool v6 = address.find(':') != std::string::npos;
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  }
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
    const std::string request = "GET /_ping HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buf[1024];
      ssize_t n = 0;
      while (reply.size() < 4096 && (n = ::recv(fd, buf, sizeof buf, 0)) > 0)
        reply.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  std::string lower = ascii_lowercase(reply);
  return reply.starts_with("HTTP/1.") && reply.find(" 200 ") != std::string::npos &&
         lower.find("\napi-version:") != std::string::npos;
}

// inode → "dockerd (pid 812)", from /proc/PID/fd; empty for sockets we cannot attribute.
std::map<unsigned long, std::string> socket_owners(const Host& host) {
  std::map<unsigned long, std::string> owners;
  std::error_code ec;
  for (const auto& proc : fs::directory_iterator(host.on_disk("/proc"), ec)) {
    std::string pid = proc.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string comm;
    if (auto c = host.read("/proc/" + pid + "/comm")) comm = c->substr(0, c->find('\n'));
    std::error_code fd_ec;
    for (const auto& fd : fs::directory_iterator(proc.path() / "fd", fd_ec)) {
      std::error_code link_ec;
      std::string target = fs::read_symlink(fd.path(), link_ec).string();
      if (link_ec || !target.starts_with("socket:[")) continue;
      std::string who = comm;
      who += " (pid " + pid + ")";
      owners[std::stoul(target.substr(8))] = who;
    }
  }
  return owners;
}

// dockerd's configuration as it will run: unit, environment, daemon.json.
struct Dockerd {
  std::optional<DockerdUnit> unit;
  DockerdFlags flags;  // from the expanded command line
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  bool config_ok = true;
};

void check_dockerd(const Host& host, Dockerd& d, std::vector<Finding>& out) {
  try {
    if (auto j = read_daemon_json(host)) d.config = *j;
  } catch (const Error& e) {
    d.config_ok = false;
    out.push_back({Severity::error, kDaemonJson, e.what(),
                   "correct the JSON at that position; dockerd will not start until the file parses"});
  }

  Service svc = load_service(host, "docker.service");
  if (!svc.found()) return;
  for (const auto& bad : svc.uncleared_exec_start) {
    out.push_back(
        {Severity::error, bad.file + ":" + std::to_string(bad.line),
         "sets ExecStart= again without clearing it first, so systemd refuses to start "
         "docker.service (\"Service has more than one ExecStart= setting, which is only allowed for "
         "Type=oneshot services\")",
         "add an empty `ExecStart=` line just above it in that file, then systemctl daemon-reload"});
  }
  if (svc.exec_start.empty()) return;
  d.unit = DockerdUnit{svc, split_command(svc.exec_start.back().value), {}};
  auto env = service_environment(host, svc);
  d.unit->expanded_argv = expand_words(d.unit->argv, env);
  d.flags = parse_dockerd_flags(d.unit->expanded_argv);
  const std::string unit_where =
      svc.exec_start.back().file + ":" + std::to_string(svc.exec_start.back().line);

  if (d.config_ok) {
    std::vector<std::string> both = conflicting_keys(d.flags, d.config);
    if (!both.empty()) {
      std::vector<std::string> flags;
      flags.reserve(both.size());
      for (const auto& k : both) flags.push_back(d.flags.keys.at(k));
      bool hosts = std::find(both.begin(), both.end(), "hosts") != both.end();
      bool from_env = hosts && parse_dockerd_flags(d.unit->argv).hosts.size() != d.flags.hosts.size();
      out.push_back(
          {Severity::error, std::string(kDaemonJson) + " and " + unit_where,
           "daemon.json sets " + quoted_list(both) + " and docker.service runs dockerd with " +
               quoted_list(flags) +
               ": dockerd refuses to start (\"the following directives are specified both as a flag and in "
               "the "
               "configuration file: " +
               quoted_list(both) + "\")",
           from_env ? "remove -H from DOCKER_OPTS in /etc/default/docker; listeners belong in daemon.json"
           : hosts
               ? "run `dockgate setup dockerd`: it keeps every listener in daemon.json and adds a drop-in "
                 "that clears ExecStart= and repeats it without -H"
               : "remove the setting from one of the two places"});
    }
  }

  // DOCKER_OPTS: read only when the unit loads the file and uses the variable (Debian's docker.io does;
  // Docker's own packages and the seed tutorials' units do not).
  if (auto text = host.read("/etc/default/docker")) {
    auto opts = parse_environment_file(*text);
    if (auto it = opts.find("DOCKER_OPTS"); it != opts.end() && !it->second.empty()) {
      bool loaded = false;
      for (std::string f : svc.environment_files) {
        if (f.starts_with("-")) f.erase(0, 1);
        loaded |= f == "/etc/default/docker";
      }
      bool used = false;
      for (const auto& w : d.unit->argv) used |= w == "$DOCKER_OPTS" || w == "${DOCKER_OPTS}";
      if (!loaded || !used) {
        out.push_back({Severity::warning, "/etc/default/docker",
                       "DOCKER_OPTS=\"" + it->second + "\" is ignored: docker.service (" + unit_where +
                           ") does not " + (loaded ? "use $DOCKER_OPTS" : "read /etc/default/docker") +
                           "; that file is for the old init scripts, not systemd",
                       "move those options into /etc/docker/daemon.json (for listeners: `dockgate setup "
                       "dockerd`) and delete the line"});
      }
    }
  }
}

// The finding for a TCP listener of dockerd that other hosts can reach: none with mutual TLS; without TLS,
// or with TLS that lets any client in, every client is root.
struct Exposure {
  bool tls = false, verify = false;
  std::vector<Finding>& out;

  void report(const std::string& where, const std::string& address) const {
    if (!tls) {
      out.push_back(
          {Severity::error, where,
           "dockerd listens on " + address +
               " without TLS: anyone who can reach it is root on this host, with no password and no "
               "certificate",
           "`dockgate setup dockerd` (mutual TLS on 2376), or put `dockgate serve` in front and listen "
           "on the unix socket only"});
    } else if (!verify) {
      out.push_back(
          {Severity::error, where,
           "dockerd listens on " + address +
               " with TLS but without tlsverify: it encrypts, yet lets any client in, and every client "
               "is root on this host",
           "set \"tlsverify\": true and \"tlscacert\" in daemon.json (`dockgate setup dockerd` does)"});
    }
  }
};

// The -H flags of the unit and daemon.json's "hosts": each tcp:// address off loopback.
void check_configured_listeners(const Dockerd& d, const Exposure& exposure) {
  std::vector<std::pair<std::string, std::string>> hosts;  // where it is configured, and the address
  std::string unit_where = d.unit ? d.unit->service.exec_start.back().file : "docker.service";
  for (const auto& h : d.flags.hosts) hosts.emplace_back(unit_where, h);
  if (d.config.contains("hosts") && d.config["hosts"].is_array()) {
    for (const auto& h : d.config["hosts"]) {
      if (h.is_string()) hosts.emplace_back(kDaemonJson, h.get<std::string>());
    }
  }
  for (const auto& [where, h] : hosts) {
    if (!h.starts_with("tcp://")) continue;
    try {
      config::ListenAddress a = config::parse_listen_address(h, exposure.tls);
      if (!config::is_loopback_host(a.host)) exposure.report(where, a.text());
    } catch (const Error&) {
      // dockerd's own parse error is reported when it starts; not this check's concern.
    }
  }
}

// Socket units that hand dockerd a TCP socket (seed 004's docker-tcp.socket): exposed, wrapping the local
// socket in TLS too, or not enabled.
void check_socket_units(const Host& host, const Dockerd& d, const Exposure& exposure,
                        std::vector<Finding>& out) {
  bool has_fd = std::any_of(d.flags.hosts.begin(), d.flags.hosts.end(),
                            [](const std::string& h) { return h.starts_with("fd://"); });
  for (const char* dir : {"/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}) {
    for (const auto& f : host.list(dir)) {
      if (!f.ends_with(".socket")) continue;
      std::string path = std::string(dir) + "/" + f;
      auto text = host.read(path);
      if (!text) continue;
      auto settings = parse_unit(*text, path);
      bool for_docker = f == "docker-tcp.socket";
      std::vector<const UnitSetting*> streams;
      for (const auto& s : settings) {
        if (s.section == "Socket" && s.key == "Service") for_docker = s.value == "docker.service";
        if (s.section == "Socket" && s.key == "ListenStream") streams.push_back(&s);
      }
      if (!for_docker) continue;
      for (const auto* s : streams) {
        if (s->value.starts_with("/")) continue;
        size_t colon = s->value.rfind(':');
        std::string addr = colon == std::string::npos ? "" : s->value.substr(0, colon);
        if (addr.starts_with("[")) addr = addr.substr(1, addr.size() - 2);
        if (!addr.empty() && config::is_loopback_host(addr)) continue;
        exposure.report(path + ":" + std::to_string(s->line), "ListenStream=" + s->value);
      }
      if (exposure.tls && has_fd && f != "docker.socket") {
        out.push_back(
            {Severity::warning, path,
             "dockerd wraps every socket systemd passes under -H fd:// in TLS, docker.socket's too: local "
             "clients of /var/run/docker.sock then need certificates as well",
             "`dockgate setup dockerd --socket-unit` adds -H unix:///var/run/docker.sock so that the "
             "local socket stays plain"});
      }
      if (!host.exists("/etc/systemd/system/sockets.target.wants/" + f) && f != "docker.socket") {
        out.push_back(
            {Severity::warning, path,
             "is not enabled: dockerd only gets this socket when it is listening before docker.service "
             "starts",
             "systemctl enable --now " + f + " && systemctl restart docker"});
      }
    }
  }
}

// What actually listens off loopback (the seeds' `netstat -lntp | grep dockerd`): on this machine, a
// wildcard listener asked over loopback whether it answers the Docker API in plain HTTP; on a staged root,
// port 2375 by its number.
void check_live_listeners(const Host& host, std::vector<Finding>& out) {
  auto owners = socket_owners(host);
  for (bool v6 : {false, true}) {
    auto text = host.read(v6 ? "/proc/net/tcp6" : "/proc/net/tcp");
    if (!text) continue;
    for (const auto& l : parse_proc_net_tcp(*text, v6)) {
      if (config::is_loopback_host(l.address)) continue;
      auto owner = owners.find(l.inode);
      std::string who = owner == owners.end() ? "" : owner->second;
      bool docker_port = l.port == config::kPlainPort || l.port == config::kTlsPort;
      if (!docker_port && !who.starts_with("dockerd") && !who.starts_with("dockgate")) continue;
      std::string where = (v6 ? "[" + l.address + "]" : l.address) + ":" + std::to_string(l.port);
      std::string by = who.empty() ? "" : " (" + who + ")";
      bool any = l.address == "0.0.0.0" || l.address == "::";
      if (!host.staged() && any) {
        if (answers_plain_docker_api(l.address, l.port)) {
          out.push_back(
              {Severity::error, where,
               "answers the Docker API over plain HTTP" + by +
                   ": anyone who can reach this port is root on this host",
               "stop that listener, or require mutual TLS (`dockgate setup dockerd`, or `dockgate setup "
               "gateway` and keep dockerd on its unix socket)"});
        }
      } else if (l.port == config::kPlainPort) {
        out.push_back({Severity::error, where,
                       "something listens on 2375, Docker's port for plain HTTP" + by +
                           ", on an address other hosts can reach",
                       "move it to mutual TLS on 2376 (`dockgate setup dockerd`) or to loopback"});
      }
    }
  }
}

void check_exposure(const Host& host, const Dockerd& d, std::vector<Finding>& out) {
  Exposure exposure{
      d.flags.tls || d.flags.tlsverify || json_true(d.config, "tls") || json_true(d.config, "tlsverify"),
      d.flags.tlsverify || json_true(d.config, "tlsverify"), out};
  check_configured_listeners(d, exposure);
  check_socket_units(host, d, exposure, out);
  check_live_listeners(host, out);
}

void check_file_mode(const Host& host, const std::string& path, bool secret, std::vector<Finding>& out) {
  struct stat st {};
  if (::stat(host.on_disk(path).c_str(), &st) != 0) return;
  unsigned mode = st.st_mode & 0777;
  if (secret && (mode & 077) != 0) {
    char m[8];
    (void)std::snprintf(m, sizeof m, "%04o", mode);
    out.push_back({Severity::error, path,
                   std::string("private key is readable by ") +
                       ((mode & 07) != 0 ? "every user" : "its group") + " (mode " + m + ")",
                   "chmod 600 " + path});
  } else if (!secret && (mode & 022) != 0) {
    out.push_back({Severity::error, path,
                   "certificate is writable by users other than its owner: one could swap in their own CA or "
                   "certificate",
                   "chmod 644 " + path});
  }
}

void check_certificate(const Host& host, const std::string& path, bool server,
                       const std::vector<std::string>& names, std::vector<Finding>& out) {
  auto text = host.read(path);
  if (!text) {
    out.push_back({Severity::error, path, "is configured but does not exist",
                   "point the setting at the right file, or create the PKI with `dockgate certs init`"});
    return;
  }
  check_file_mode(host, path, false, out);
  pki::CertInfo info;
  try {
    info = pki::describe_certificate(pki::cert_from_pem(*text, path).get());
  } catch (const Error& e) {
    out.push_back({Severity::error, path, e.what(), "replace it with a PEM certificate"});
    return;
  }
  std::string renew = info.is_ca ? "dockgate certs renew ca" : "dockgate certs renew server";
  long days = info.days_left;
  if (days < 0) {
    out.push_back(
        {Severity::error, path, "expired on " + info.not_after + ": every TLS connection fails", renew});
  } else if (info.expiring()) {
    out.push_back({Severity::warning, path,
                   "expires in " + std::to_string(days) + " days (" + info.not_after + ")", renew});
  }
  if (!server || info.is_ca) return;
  bool server_auth = info.extended_key_usage.empty() ||
                     std::find(info.extended_key_usage.begin(), info.extended_key_usage.end(),
                               "serverAuth") != info.extended_key_usage.end();
  if (!server_auth) {
    out.push_back({Severity::error, path,
                   "is not valid for TLS servers (extended key usage " +
                       quoted_list(info.extended_key_usage) + " lacks serverAuth): clients refuse it",
                   "issue a server certificate: dockgate certs issue server --force"});
  }
  std::vector<std::string> missing;
  for (const auto& n : names) {
    pki::HostName name;
    try {
      name = pki::parse_host(n);  // IP or DNS name, canonical, as `certs` writes SANs
    } catch (const Error&) {
      continue;  // not a name a certificate could hold
    }
    const auto& list = name.kind == pki::HostName::Kind::ip ? info.ip_addresses : info.dns_names;
    if (std::find(list.begin(), list.end(), name.value) == list.end()) missing.push_back(name.value);
  }
  if (!missing.empty()) {
    std::string hosts;
    for (const auto& m : missing) hosts += " --host " + m;
    out.push_back(
        {Severity::warning, path,
         "is not valid for " + quoted_list(missing) +
             " of this host: clients that dial it by those names fail with \"x509: certificate is valid "
             "for ..., not ...\"",
         "dockgate certs issue server --force --all-local-addresses" + hosts});
  }
}

void check_tls_files(const Host& host, const Dockerd& d, const CheckInputs& in, std::vector<Finding>& out) {
  std::vector<std::string> names = in.names;
  if (names.empty()) {
    if (auto h = host.read("/etc/hostname")) {
      std::string name = h->substr(0, h->find_first_of(" \t\r\n"));
      if (!name.empty()) names.push_back(name);
    }
    if (!host.staged()) {
      for (const auto& n : net::local_names_and_addresses()) {
        if (config::is_loopback_host(n) || std::find(names.begin(), names.end(), n) != names.end()) continue;
        names.push_back(n);
      }
    }
  }

  std::set<std::string> seen;
  auto cert = [&](const std::string& path, bool server) {
    if (!path.empty() && seen.insert(path).second) check_certificate(host, path, server, names, out);
  };
  auto key = [&](const std::string& path) {
    if (!path.empty() && seen.insert(path).second) check_file_mode(host, path, true, out);
  };
  // dockerd's files, from daemon.json or its flags.
  auto flag_value = [&](const char* name) {
    auto it = d.flags.keys.find(name);
    if (it == d.flags.keys.end()) return std::string();
    const std::string& f = it->second;
    size_t sep = f.find_first_of("= ");
    return sep == std::string::npos ? std::string() : f.substr(sep + 1);
  };
  for (const char* k : {"tlscacert", "tlscert", "tlskey"}) {
    std::string path = json_string(d.config, k);
    if (path.empty()) path = flag_value(k);
    if (std::string(k) == "tlskey") {
      key(path);
    } else {
      cert(path, std::string(k) == "tlscert");
    }
  }
  // The gateway's files: its config, and the PKI directories.
  if (auto text = host.read(kGatewayConfig)) {
    try {
      auto j = config::parse_ordered_json_text(*text, std::string(kGatewayConfig) + ": ");
      cert(json_string(j, "tlscacert"), false);
      cert(json_string(j, "tlscert"), true);
      key(json_string(j, "tlskey"));
    } catch (const Error& e) {
      out.push_back({Severity::error, kGatewayConfig, e.what(),
                     "correct the JSON at that position; dockgate serve will not start until it parses"});
    }
  }
  std::vector<std::string> dirs = {kGatewayStateDir};
  dirs.insert(dirs.end(), in.cert_dirs.begin(), in.cert_dirs.end());
  for (const auto& dir : dirs) {
    if (!host.exists(dir + "/ca.pem")) continue;
    cert(dir + "/ca.pem", false);
    key(dir + "/ca-key.pem");
    cert(dir + "/server-cert.pem", true);
    key(dir + "/server-key.pem");
    for (const auto& c : host.list(dir + "/clients"))
      key((fs::path(dir) / "clients" / c / "key.pem").string());
  }
}

}  // namespace

std::vector<TcpListener> parse_proc_net_tcp(const std::string& text, bool ipv6) {
  std::vector<TcpListener> out;
  size_t pos = text.find('\n');  // header line
  while (pos != std::string::npos && pos + 1 < text.size()) {
    size_t end = text.find('\n', pos + 1);
    std::string line = text.substr(pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
    pos = end;
    std::vector<std::string> f;
    for (size_t i = 0; i < line.size();) {
      while (i < line.size() && line[i] == ' ') ++i;
      size_t j = line.find(' ', i);
      if (i < line.size()) f.push_back(line.substr(i, j == std::string::npos ? std::string::npos : j - i));
      i = j == std::string::npos ? line.size() : j;
    }
    if (f.size() < 10 || f[3] != "0A") continue;  // 0A: TCP_LISTEN
    size_t colon = f[1].find(':');
    if (colon == std::string::npos) continue;
    std::string hex = f[1].substr(0, colon);
    if (hex.size() != (ipv6 ? 32u : 8u)) continue;
    // The kernel prints each 32-bit word of the address in host byte order.
    unsigned char bytes[16] = {};
    for (size_t word = 0; word < hex.size() / 8; ++word) {
      uint32_t v = static_cast<uint32_t>(std::stoul(hex.substr(word * 8, 8), nullptr, 16));
      for (size_t b = 0; b < 4; ++b) bytes[word * 4 + b] = static_cast<unsigned char>(v >> (8 * b));
    }
    char addr[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(ipv6 ? AF_INET6 : AF_INET, bytes, addr, sizeof addr);
    std::string a = addr;
    if (a.starts_with("::ffff:") && a.find('.') != std::string::npos) a = a.substr(7);
    out.push_back(
        {a, static_cast<unsigned>(std::stoul(f[1].substr(colon + 1), nullptr, 16)), std::stoul(f[9])});
  }
  return out;
}

std::vector<Finding> check_host(const Host& host, const CheckInputs& inputs) {
  std::vector<Finding> out;
  Dockerd d;
  check_dockerd(host, d, out);
  check_exposure(host, d, out);
  check_tls_files(host, d, inputs, out);
  return out;
}

}  // namespace dockgate::setup
