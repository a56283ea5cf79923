// The doctor's steps. Each one either adds an ok/warn step and lets the walk go on, or adds a failing step
// (cause and fix) and ends it: later steps would only report consequences of the first failure.
#include "doctor/probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "config/listen_address.hpp"
#include "error.hpp"
#include "files/batch.hpp"
#include "http/head.hpp"
#include "net/fd.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "pki/openssl.hpp"

namespace dockgate::doctor {
namespace {

using Status = Step::Status;
using net::Fd;

// Ends the walk: thrown with the failing step already recorded.
struct Stop {};

class Walk {
 public:
  explicit Walk(Report& report) : report_(report) {}
  void ok(const std::string& name, const std::string& detail) { add(name, Status::ok, detail, ""); }
  void warn(const std::string& name, const std::string& detail, const std::string& fix) {
    add(name, Status::warn, detail, fix);
  }
  [[noreturn]] void fail(const std::string& name, const std::string& detail, const std::string& fix) {
    add(name, Status::fail, detail, fix);
    throw Stop{};
  }

 private:
  void add(const std::string& name, Status s, const std::string& detail, const std::string& fix) {
    report_.steps.push_back({name, s, detail, fix});
  }
  Report& report_;
};

struct Target {
  bool is_unix = false;
  std::string host, path;  // host without brackets
  std::uint16_t port = 0;
  std::string text;
};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

bool is_ip(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// --- the client's own files ------------------------------------------------------------------------

void check_local_files(const ClientConfig& c, Walk& walk) {
  if (!c.tls) return;
  std::vector<std::string> found;
  if (c.verify && c.ca.empty()) {
    walk.fail("client files", "TLS verification is on but there is no CA file (ca.pem)",
              "put the CA certificate in DOCKER_CERT_PATH as ca.pem (a `dockgate client bundle` holds it), "
              "or pass --tlscacert");
  }
  if (!c.ca.empty()) {
    try {
      pki::Cert ca = pki::cert_from_pem(files::read_file(c.ca, "CA file"), c.ca);
      found.push_back("ca.pem (" + pki::describe_certificate(ca.get()).common_name + ")");
    } catch (const std::exception& e) {
      walk.fail("client files", e.what(), "use the ca.pem of the PKI that issued the server's certificate");
    }
  }
  if (c.cert.empty() != c.key.empty()) {
    walk.fail("client files",
              c.cert.empty() ? "a key but no certificate (cert.pem)" : "a certificate but no key (key.pem)",
              "DOCKER_CERT_PATH must hold cert.pem and key.pem together");
  }
  if (c.cert.empty()) {
    walk.ok("client files",
            found.empty() ? "no client certificate" : join(found) + "; no client certificate");
    return;
  }
  pki::Cert cert;
  pki::PKey key;
  try {
    cert = pki::cert_from_pem(files::read_file(c.cert, "client certificate"), c.cert);
    key = pki::key_from_pem(files::read_file(c.key, "client key"), c.key, std::nullopt);
  } catch (const std::exception& e) {
    walk.fail("client files", e.what(), "re-issue the client with `dockgate certs issue client NAME`");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    walk.fail("client files", c.key + " is not the key of " + c.cert,
              "copy cert.pem and key.pem from the same bundle");
  }
  pki::CertInfo info = pki::describe_certificate(cert.get());
  if (info.days_left < 0) {
    walk.fail("client files",
              "the client certificate (CN=" + info.common_name + ") expired on " + info.not_after,
              "renew it: `dockgate certs renew client " + info.common_name + "` on the CA host");
  }
  if (!info.extended_key_usage.empty() &&
      std::find(info.extended_key_usage.begin(), info.extended_key_usage.end(), "clientAuth") ==
          info.extended_key_usage.end()) {
    walk.fail("client files",
              "cert.pem (CN=" + info.common_name + ") is not a client certificate (no clientAuth)",
              "use a client bundle: `dockgate certs issue client NAME`");
  }
  found.push_back("cert.pem (CN=" + info.common_name + ", " + std::to_string(info.days_left) + " days left)");
  struct stat st {};
  if (::stat(c.key.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    std::string mode = "0";
    for (int shift = 6; shift >= 0; shift -= 3) mode += static_cast<char>('0' + ((st.st_mode >> shift) & 7));
    walk.warn("client files", join(found) + "; key.pem is readable by other users (mode " + mode + ")",
              "chmod 0400 " + c.key);
  } else if (info.expiring()) {
    walk.warn("client files", join(found),
              "the client certificate expires soon: `dockgate certs renew client " + info.common_name + "`");
  } else {
    walk.ok("client files", join(found) + ", key.pem matches");
  }
}

// --- address, resolution, connection -----------------------------------------------------------------

Target parse_target(const ClientConfig& c, Walk& walk) {
  Target t;
  t.text = c.host;
  if (c.host.rfind("ssh://", 0) == 0) {
    walk.fail("address", c.host + " is an SSH endpoint",
              "dockgate doctor checks tcp:// and unix:// endpoints");
  }
  try {
    config::ListenAddress a = config::parse_listen_address(c.host, c.tls);
    if (a.kind == config::ListenAddress::Kind::fd) throw Error("fd:// is a server address");
    t.is_unix = a.kind == config::ListenAddress::Kind::unix_socket;
    t.host = a.host;
    t.port = a.port;
    t.path = a.path;
  } catch (const std::exception& e) {
    walk.fail("address", e.what(), "set DOCKER_HOST to tcp://HOST:PORT or unix:///path");
  }
  walk.ok("address", c.host + " (from " + c.host_source + ")");
  return t;
}

// Connects with a timeout; returns the socket or the errno.
std::pair<Fd, int> connect_to(const sockaddr* sa, socklen_t len, std::chrono::milliseconds timeout) {
  Fd fd(::socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return {Fd(), errno};
  if (::connect(fd.get(), sa, len) != 0) {
    if (errno != EINPROGRESS) return {Fd(), errno};
    pollfd p{fd.get(), POLLOUT, 0};
    int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (n == 0) return {Fd(), ETIMEDOUT};
    int err = 0;
    socklen_t el = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &el);
    if (err != 0) return {Fd(), err};
  }
  // Blocking from here on, with timeouts on every read and write.
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return {std::move(fd), 0};
}

struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string text;
};

Endpoint resolve(const Target& t, Walk& walk) {
  Endpoint e;
  if (t.is_unix) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strncpy(sun.sun_path, t.path.c_str(), sizeof sun.sun_path - 1);
    std::memcpy(&e.addr, &sun, sizeof sun);
    e.len = sizeof sun;
    e.text = t.path;
    return e;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(t.host.c_str(), std::to_string(t.port).c_str(), &hints, &found); rc != 0) {
    walk.fail("resolve", "cannot resolve " + t.host + ": " + ::gai_strerror(rc),
              "check the name in DOCKER_HOST, add it to DNS or /etc/hosts, or use the host's IP address");
  }
  std::memcpy(&e.addr, found->ai_addr, found->ai_addrlen);
  e.len = found->ai_addrlen;
  char host[NI_MAXHOST] = {};
  ::getnameinfo(found->ai_addr, found->ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST);
  ::freeaddrinfo(found);
  e.text = std::string(host);
  e.text =
      (e.text.find(':') != std::string::npos ? "[" + e.text + "]" : e.text) + ":" + std::to_string(t.port);
  if (!is_ip(t.host)) walk.ok("resolve", t.host + " is " + host);
  return e;
}

Fd connect_step(const Target& t, const Endpoint& e, std::chrono::milliseconds timeout, Walk& walk) {
  auto [fd, err] = connect_to(reinterpret_cast<const sockaddr*>(&e.addr), e.len, timeout);
  if (err == 0) {
    walk.ok("connect", "connected to " + e.text);
    return std::move(fd);
  }
  std::string what = std::strerror(err);
  if (t.is_unix) {
    if (err == ENOENT) {
      walk.fail("connect", "no socket at " + t.path,
                "is the engine (or gateway) running? `systemctl status docker`");
    }
    if (err == EACCES) {
      walk.fail("connect", "permission denied on " + t.path,
                "add your user to the socket's group (usually docker) and log in again, or use sudo");
    }
    walk.fail("connect", t.path + ": " + what,
              "is the engine (or gateway) running? `systemctl status docker`");
  }
  if (err == ECONNREFUSED) {
    walk.fail("connect",
              "connection refused by " + e.text + ": nothing listens on port " + std::to_string(t.port),
              "start the server there (`dockgate serve -H tcp://0.0.0.0:" + std::to_string(t.port) +
                  "`, or dockerd with -H), check the port, or a firewall that rejects");
  }
  if (err == ETIMEDOUT) {
    walk.fail("connect", "no answer from " + e.text + " within " + std::to_string(timeout.count()) + " ms",
              "a firewall drops the packets (open the port only to your network), or the host is down");
  }
  walk.fail("connect", e.text + ": " + what, "check the network route to the host");
}

// --- what the port speaks ------------------------------------------------------------------------------

enum class Speaks { tls, http, unknown };

// A plain HTTP request on a fresh connection: a plain engine answers it, a Go or dockgate TLS server
// answers "Client sent an HTTP request to an HTTPS server.", other TLS servers send an alert (0x15 0x03).
Speaks probe_protocol(const Endpoint& e, std::chrono::milliseconds timeout) {
  auto [fd, err] = connect_to(reinterpret_cast<const sockaddr*>(&e.addr), e.len, timeout);
  if (err != 0) return Speaks::unknown;
  static const char kRequest[] = "GET /_ping HTTP/1.0\r\nHost: doctor\r\n\r\n";
  if (::send(fd.get(), kRequest, sizeof kRequest - 1, MSG_NOSIGNAL) < 0) return Speaks::unknown;
  std::string got;
  char buf[512];
  while (got.size() < 200) {
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  if (got.find("HTTP request to an HTTPS server") != std::string::npos) return Speaks::tls;
  if (got.size() >= 2 && got[0] == 0x15 && got[1] == 0x03) return Speaks::tls;
  if (got.rfind("HTTP/", 0) == 0) return Speaks::http;
  return Speaks::unknown;
}

// --- TLS -----------------------------------------------------------------------------------------------

using Ctx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;
using Ssl = std::unique_ptr<SSL, decltype(&SSL_free)>;

// What the client-certificate callback saw: Go's rule, reproduced: a client certificate is sent only if
// the server asks and its issuer is one the server names.
struct ClientCertState {
  pki::Cert cert;
  pki::PKey key;
  bool requested = false, sent = false;
  std::vector<std::string> acceptable;  // the CA names the server sent
};

int client_cert_callback(SSL* ssl, X509** x509, EVP_PKEY** pkey) {
  auto* st = static_cast<ClientCertState*>(SSL_get_app_data(ssl));
  st->requested = true;
  const STACK_OF(X509_NAME)* names = SSL_get_client_CA_list(ssl);
  bool issuer_ok = names == nullptr || sk_X509_NAME_num(names) == 0;
  for (int i = 0; names != nullptr && i < sk_X509_NAME_num(names); ++i) {
    X509_NAME* n = sk_X509_NAME_value(names, i);
    char text[256];
    X509_NAME_oneline(n, text, sizeof text);
    st->acceptable.emplace_back(text);
    if (st->cert && X509_NAME_cmp(n, X509_get_issuer_name(st->cert.get())) == 0) issuer_ok = true;
  }
  if (!st->cert || !issuer_ok) return 0;
  X509_up_ref(st->cert.get());
  EVP_PKEY_up_ref(st->key.get());
  *x509 = st->cert.get();
  *pkey = st->key.get();
  st->sent = true;
  return 1;
}

std::string issuer_text(X509* cert) {
  char text[256];
  X509_NAME_oneline(X509_get_issuer_name(cert), text, sizeof text);
  return text;
}

// The fix for a dialled name the server certificate lacks: the `certs issue server` that keeps every name
// it has (other clients dial those) and adds this one. --no-local: the list already holds whichever local
// names it had. A gateway reloads the new certificate by itself; dockerd needs a restart.
std::string reissue_keeping(const std::vector<std::string>& names, const std::string& dialled) {
  std::string command = "dockgate certs issue server --force --no-local";
  for (const auto& n : names) command += " --host " + n;
  command += " --host " + dialled;
  return "dial one of those names, or re-issue the server certificate with this one too, on the server: `" +
         command + "` (dockgate serve picks it up within 2 s; dockerd needs a restart)";
}

void check_server_certificate(const ClientConfig& c, const Target& t, SSL* ssl, Walk& walk) {
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr)
    walk.fail("server certificate", "the server sent no certificate", "configure TLS on the server");
  pki::CertInfo info = pki::describe_certificate(leaf);
  std::vector<std::string> names = info.dns_names;
  names.insert(names.end(), info.ip_addresses.begin(), info.ip_addresses.end());
  std::string valid_for = names.empty() ? "no names at all" : join(names);
  if (!c.verify) {
    walk.warn("server certificate", "not verified (CN=" + info.common_name + ", valid for " + valid_for + ")",
              "use --tlsverify / DOCKER_TLS_VERIFY=1 with the CA, or anyone in between can read and change "
              "what you send");
    return;
  }
  pki::Cert ca = pki::cert_from_pem(files::read_file(c.ca, "CA file"), c.ca);
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca.get());
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> vctx(X509_STORE_CTX_new(),
                                                                       X509_STORE_CTX_free);
  X509_STORE_CTX_init(vctx.get(), store.get(), leaf, SSL_get_peer_cert_chain(ssl));
  X509_STORE_CTX_set_purpose(vctx.get(), X509_PURPOSE_SSL_SERVER);
  if (X509_verify_cert(vctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(vctx.get());
    std::string why = X509_verify_cert_error_string(err);
    if (err == X509_V_ERR_CERT_HAS_EXPIRED) {
      walk.fail(
          "server certificate", "the server's certificate expired on " + info.not_after,
          "renew it on the server: `dockgate certs renew server` (or issue a new one), then restart it");
    }
    if (err == X509_V_ERR_CERT_NOT_YET_VALID) {
      walk.fail("server certificate", "the server's certificate is valid only from " + info.not_before,
                "check the clocks of both machines (timedatectl)");
    }
    if (err == X509_V_ERR_INVALID_PURPOSE) {
      walk.fail("server certificate", "the server's certificate is not meant for servers (no serverAuth)",
                "issue a server certificate: `dockgate certs issue server --host " + t.host + "`");
    }
    walk.fail("server certificate",
              "not signed by your CA (" + c.ca + "): " + why + "; it was issued by " + issuer_text(leaf),
              "use the ca.pem of the PKI that issued the server's certificate (the server's --tlscacert)");
  }
  bool matches = is_ip(t.host) ? X509_check_ip_asc(leaf, t.host.c_str(), 0) == 1
                               : X509_check_host(leaf, t.host.c_str(), t.host.size(), 0, nullptr) == 1;
  if (!matches) {
    walk.fail("server certificate",
              "the certificate is valid for " + valid_for + ", not " + t.host +
                  " (the docker CLI says: x509: certificate is valid for ..., not " + t.host + ")",
              reissue_keeping(names, t.host));
  }
  std::string detail = "signed by your CA, valid for " + t.host + ", expires " + info.not_after + " (" +
                       std::to_string(info.days_left) + " days)";
  if (info.expiring()) {
    walk.warn("server certificate", detail, "renew it soon: `dockgate certs renew server` on the server");
  } else {
    walk.ok("server certificate", detail);
  }
}

// The server's verdict on our certificate arrives as an alert (with TLS 1.3, only at the first read).
void fail_for_alert(const std::string& reason, const ClientCertState& st, Walk& walk) {
  std::string acceptable =
      st.acceptable.empty() ? "" : " (it accepts certificates from " + join(st.acceptable) + ")";
  if (st.cert && st.requested && !st.sent) {
    walk.fail("client certificate",
              "your client certificate is issued by " + issuer_text(st.cert.get()) +
                  ", a CA the server does not accept" + acceptable +
                  "; docker clients then send no certificate and the server refuses",
              "use a bundle from the server's CA: `dockgate certs issue client NAME` there");
  }
  if (!st.cert) {
    walk.fail("client certificate", "the server requires a client certificate and none is configured",
              "put cert.pem and key.pem (a `dockgate client bundle`) in DOCKER_CERT_PATH");
  }
  if (reason.find("revoked") != std::string::npos) {
    walk.fail("client certificate", "the server refused your certificate: it is revoked",
              "ask the server's operator for a new client bundle");
  }
  if (reason.find("expired") != std::string::npos) {
    walk.fail("client certificate", "the server refused your certificate: expired",
              "renew it: `dockgate certs renew client NAME` on the CA host");
  }
  if (reason.find("unsupported certificate") != std::string::npos) {
    walk.fail("client certificate",
              "the server refused your certificate: not meant for clients (no clientAuth)",
              "use a client bundle: `dockgate certs issue client NAME`");
  }
  if (reason.find("unknown ca") != std::string::npos || reason.find("bad certificate") != std::string::npos ||
      reason.find("certificate unknown") != std::string::npos) {
    walk.fail("client certificate", "the server refused your certificate (" + reason + ")" + acceptable,
              "use a client bundle issued by the server's CA");
  }
  walk.fail("client certificate", "the server ended the connection: " + reason,
            "look at the server's log for the TLS handshake error");
}

// --- HTTP over the connection ---------------------------------------------------------------------------

class Conn {
 public:
  Conn(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  // Returns false with `error` set when the peer refuses (a TLS alert) or the connection fails.
  bool write(const std::string& bytes, std::string& error) {
    if (ssl_ == nullptr) {
      if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()))
        return true;
      error = std::strerror(errno);
      return false;
    }
    size_t n = 0;
    ERR_clear_error();
    if (SSL_write_ex(ssl_, bytes.data(), bytes.size(), &n) == 1) return true;
    error = tls_error();
    return false;
  }
  // Reads some bytes; 0 at EOF; -1 with `error` set.
  long read(char* buf, size_t len, std::string& error) {
    if (ssl_ == nullptr) {
      ssize_t n = ::recv(fd_, buf, len, 0);
      if (n < 0) error = errno == EAGAIN ? "no answer in time" : std::strerror(errno);
      return n;
    }
    size_t n = 0;
    ERR_clear_error();
    if (SSL_read_ex(ssl_, buf, len, &n) == 1) return static_cast<long>(n);
    int e = SSL_get_error(ssl_, 0);
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    error = tls_error();
    return error.empty() ? 0 : -1;
  }

 private:
  static std::string tls_error() {
    std::string why = pki::openssl_errors();
    if (why.empty() && errno != 0) why = std::strerror(errno);
    return why;
  }
  int fd_;
  SSL* ssl_;
};

struct Response {
  int status = 0;
  http::ResponseHead head;
  std::string body;
};

// One request on the connection; nullopt with `error` on failure.
std::optional<Response> request(Conn& conn, const std::string& host, const std::string& target,
                                std::string& error) {
  if (!conn.write("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: dockgate-doctor\r\n\r\n",
                  error)) {
    return std::nullopt;
  }
  std::string data;
  char buf[16384];
  std::optional<size_t> size;
  while (!(size = http::head_size(data, 1 << 20))) {
    long n = conn.read(buf, sizeof buf, error);
    if (n <= 0) {
      if (n == 0 && error.empty()) error = "the connection ended without an answer";
      return std::nullopt;
    }
    data.append(buf, static_cast<size_t>(n));
  }
  Response r;
  try {
    r.head = http::parse_response_head(std::string_view(data).substr(0, *size));
  } catch (const std::exception& e) {
    error = std::string("not an HTTP answer: ") + e.what();
    return std::nullopt;
  }
  r.status = r.head.status;
  data.erase(0, *size);
  http::Framing f = http::response_framing(r.head, "GET");
  auto fill = [&]() {
    long n = conn.read(buf, sizeof buf, error);
    if (n <= 0) return false;
    data.append(buf, static_cast<size_t>(n));
    return true;
  };
  if (f.kind == http::Framing::Kind::length) {
    while (data.size() < f.length && fill()) {
    }
    r.body = data.substr(0, static_cast<size_t>(f.length));
  } else if (f.kind == http::Framing::Kind::chunked) {
    while (true) {
      size_t eol;
      while ((eol = data.find("\r\n")) == std::string::npos && fill()) {
      }
      if (eol == std::string::npos) break;
      size_t chunk = std::stoul(data.substr(0, eol), nullptr, 16);
      while (data.size() < eol + 2 + chunk + 2 && fill()) {
      }
      if (chunk == 0) break;
      r.body += data.substr(eol + 2, chunk);
      data.erase(0, eol + 2 + chunk + 2);
    }
  }
  return r;
}

std::string message_of(const std::string& body) {
  try {
    return nlohmann::json::parse(body).value("message", body);
  } catch (...) {
    return body;
  }
}

void check_api(Conn& conn, const Target& t, const ClientCertState* client, Walk& walk) {
  std::string host = t.is_unix ? "docker" : t.host;
  std::string error;
  auto ping = request(conn, host, "/_ping", error);
  if (!ping) {
    if (client != nullptr) fail_for_alert(error, *client, walk);
    walk.fail("api", "no answer to GET /_ping: " + error, "look at the server's log");
  }
  if (client != nullptr) {
    walk.ok("client certificate",
            client->sent ? "accepted (CN=" + pki::describe_certificate(client->cert.get()).common_name + ")"
            : client->requested ? "the server asked for none it accepts, and let us in"
                                : "the server did not ask for one");
  }
  if (ping->status == 502) {
    walk.fail("api", "the gateway answers, but not the engine behind it: " + message_of(ping->body),
              "start the engine on the gateway's host (`systemctl start docker`) or fix its --upstream");
  }
  if (ping->status != 200) {
    walk.fail("api", "GET /_ping answered " + std::to_string(ping->status) + ": " + message_of(ping->body),
              "look at the server's log");
  }
  auto version = request(conn, host, "/version", error);
  std::string engine = "Docker Engine";
  if (version && version->status == 200) {
    try {
      auto j = nlohmann::json::parse(version->body);
      engine += " " + j.value("Version", "?") + ", API " + j.value("ApiVersion", "?");
    } catch (...) {
    }
  }
  auto who = request(conn, host, "/_dockgate/whoami", error);
  if (who && who->status == 200) {
    try {
      auto j = nlohmann::json::parse(who->body);
      std::string cn = j["Identity"].value("CommonName", "");
      engine += ", through " + j.value("Gateway", std::string("dockgate")) +
                (cn.empty() ? std::string() : " as CN=" + cn) + " (role " + j.value("Role", "?") + ")";
    } catch (...) {
    }
  } else {
    engine += ", directly (no dockgate in between)";
  }
  walk.ok("api", engine);
}

void walk_tls(const ClientConfig& c, const Target& t, Fd fd, Walk& walk) {
  ClientCertState st;
  if (!c.cert.empty()) {
    st.cert = pki::cert_from_pem(files::read_file(c.cert, "client certificate"), c.cert);
    st.key = pki::key_from_pem(files::read_file(c.key, "client key"), c.key, std::nullopt);
  }
  Ctx ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // checked by hand, to say what is wrong
  SSL_CTX_set_client_cert_cb(ctx.get(), client_cert_callback);
  Ssl ssl(SSL_new(ctx.get()), SSL_free);
  SSL_set_app_data(ssl.get(), &st);
  SSL_set_fd(ssl.get(), fd.get());
  if (!t.is_unix && !is_ip(t.host)) SSL_set_tlsext_host_name(ssl.get(), t.host.c_str());
  ERR_clear_error();
  if (SSL_connect(ssl.get()) != 1) {
    std::string why = pki::openssl_errors();
    if (why.find("alert") != std::string::npos && st.requested) fail_for_alert(why, st, walk);
    walk.fail("tls", "the TLS handshake failed: " + (why.empty() ? std::string("connection closed") : why),
              "look at the server's log for the TLS handshake error");
  }
  walk.ok("tls", std::string(SSL_get_version(ssl.get())) + ", " + SSL_get_cipher_name(ssl.get()));
  check_server_certificate(c, t, ssl.get(), walk);
  Conn conn(fd.get(), ssl.get());
  check_api(conn, t, &st, walk);
}

}  // namespace

const char* status_name(Step::Status status) {
  switch (status) {
    case Status::ok:
      return "ok";
    case Status::warn:
      return "warn";
    case Status::fail:
      return "fail";
  }
  return "";
}

Report diagnose(const ClientConfig& config, std::chrono::milliseconds timeout) {
  Report report;
  report.config = config;
  Walk walk(report);
  try {
    check_local_files(config, walk);
    if (config.verify && !config.python_ca_overrides.empty()) {
      std::string set;
      for (const auto& o : config.python_ca_overrides) set += (set.empty() ? "" : ", ") + o;
      walk.warn("environment",
                set + ": Python clients (docker-py, docker-compose) trust that instead of " + config.ca +
                    ", and fail with CERTIFICATE_VERIFY_FAILED; the docker CLI is not affected",
                "unset REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE where Python clients run");
    }
    Target target = parse_target(config, walk);
    Endpoint endpoint = resolve(target, walk);
    Fd fd = connect_step(target, endpoint, timeout, walk);
    if (!target.is_unix) {
      Speaks speaks = probe_protocol(endpoint, timeout);
      if (speaks == Speaks::tls && !config.tls) {
        walk.fail("protocol", "the port speaks TLS, but this client is set up for plain HTTP",
                  "set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to your bundle (`dockgate client env`), or "
                  "pass --tlsverify");
      }
      if (speaks == Speaks::http && config.tls) {
        walk.fail("protocol",
                  "the port speaks plain HTTP, but this client uses TLS (the docker CLI says: http: server "
                  "gave HTTP response to HTTPS client)",
                  "plain HTTP gives root to anyone who can reach the port: put TLS on the server (`dockgate "
                  "serve`), or dial the right port");
      }
      walk.ok("protocol", speaks == Speaks::tls    ? "the port speaks TLS"
                          : speaks == Speaks::http ? "the port speaks plain HTTP"
                                                   : "the port does not answer plain HTTP");
    }
    if (config.tls && !target.is_unix) {
      walk_tls(config, target, std::move(fd), walk);
    } else {
      Conn conn(fd.get(), nullptr);
      check_api(conn, target, nullptr, walk);
    }
    report.usable = true;
  } catch (const Stop&) {
    report.usable = false;
  } catch (const std::exception& e) {
    report.steps.push_back({"internal", Status::fail, e.what(), ""});
    report.usable = false;
  }
  return report;
}

}  // namespace dockgate::doctor
