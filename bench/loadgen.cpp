// The benchmark's load generator: speaks HTTP/1.1 to a Docker endpoint over mutual TLS with a client
// certificate (which wrk, ab and hey cannot) or over a plain unix socket (the floor), and prints one JSON
// object of measurements. Blocking sockets and one thread per connection keep it simple and its own
// overhead steady; the harness pins it to a core of its own. Its AES-GCM is OpenSSL's, as the gateway's
// is; on a fast path the client's core can set a bulk rate, which is why download and upload report the
// client's own CPU seconds (bench/RESULTS.md, steps 26 and 30).
//
//   dockgate-loadgen latency  --target T [TLS] --path /_ping --requests N
//   dockgate-loadgen connect  --target T [TLS] --path /_ping --seconds S --concurrency C
//   dockgate-loadgen download --target T [TLS] --path /images/x/get
//   dockgate-loadgen upload   --target T [TLS] --path /images/load --bytes N
//   dockgate-loadgen idle     --target T [TLS] --connections N --concurrency C
//                             (waits for a line on stdin between opening and asking)
// T is tcp:HOST:PORT or unix:PATH; TLS is --ca FILE --cert FILE --key FILE.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode, target, ca, cert, key, path = "/_ping", method, file;
  long requests = 1000, connections = 1000, concurrency = 1;
  double seconds = 5;
  long long bytes = 0;
};

[[noreturn]] void die(const std::string& what) {
  throw std::runtime_error(what);
}

std::string ssl_error() {
  char buf[256];
  unsigned long e = ERR_get_error();
  if (e == 0) return "connection closed";
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

int dial(const std::string& target) {
  if (target.starts_with("unix:")) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::string path = target.substr(5);
    std::memcpy(sa.sun_path, path.c_str(), std::min(path.size() + 1, sizeof sa.sun_path));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
      die("connect " + target + ": " + std::strerror(errno));
    return fd;
  }
  if (!target.starts_with("tcp:")) die("--target must be tcp:HOST:PORT or unix:PATH");
  std::string hp = target.substr(4);
  size_t colon = hp.rfind(':');
  std::string host = hp.substr(0, colon), port = hp.substr(colon + 1);
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) die("cannot resolve " + host);
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int rc = ::connect(fd, res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  if (rc != 0) die("connect " + target + ": " + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// One connection, TLS or not, with the few HTTP/1.1 operations the workloads need.
class Conn {
 public:
  Conn(const Options& o, SSL_CTX* ctx) : fd_(dial(o.target)) {
    if (ctx == nullptr) return;
    ssl_ = SSL_new(ctx);
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) die("TLS handshake with " + o.target + ": " + ssl_error());
  }
  ~Conn() {
    if (ssl_ != nullptr) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
    ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void write_all(const char* p, size_t n) {
    while (n > 0) {
      long w = ssl_ != nullptr ? SSL_write(ssl_, p, static_cast<int>(std::min<size_t>(n, 1 << 30)))
                               : ::send(fd_, p, n, MSG_NOSIGNAL);
      if (w <= 0) die("write: " + (ssl_ != nullptr ? ssl_error() : std::string(std::strerror(errno))));
      p += w;
      n -= static_cast<size_t>(w);
    }
  }
  void write_all(const std::string& s) { write_all(s.data(), s.size()); }

  // Reads one response; returns its status and counts body bytes (Content-Length, chunked, or to close).
  int read_response(long long* body_bytes = nullptr) {
    std::string head;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) die("connection closed before a response head");
    }
    head = buf_.substr(0, end + 4);
    buf_.erase(0, end + 4);
    int status = std::stoi(head.substr(9, 3));
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    long long total = 0;
    if (size_t cl = lower.find("\r\ncontent-length:"); cl != std::string::npos) {
      long long left = std::stoll(lower.substr(cl + 17));
      total = left;
      while (left > 0) {
        if (buf_.empty() && !fill()) die("connection closed inside a body");
        long long take = std::min<long long>(left, static_cast<long long>(buf_.size()));
        buf_.erase(0, static_cast<size_t>(take));
        left -= take;
      }
    } else if (lower.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
      for (;;) {
        size_t eol;
        while ((eol = buf_.find("\r\n")) == std::string::npos) {
          if (!fill()) die("connection closed inside a chunk size");
        }
        long long size = std::stoll(buf_.substr(0, eol), nullptr, 16);
        buf_.erase(0, eol + 2);
        long long left = size + 2;  // data and its CRLF
        if (size == 0) {
          // Trailers end with an empty line.
          while ((eol = buf_.find("\r\n")) == std::string::npos) {
            if (!fill()) die("connection closed in trailers");
          }
          buf_.erase(0, eol + 2);
          break;
        }
        total += size;
        while (left > 0) {
          if (buf_.empty() && !fill()) die("connection closed inside a chunk");
          long long take = std::min<long long>(left, static_cast<long long>(buf_.size()));
          buf_.erase(0, static_cast<size_t>(take));
          left -= take;
        }
      }
    } else if (status != 204 && status != 304 && !(status >= 100 && status < 200)) {
      while (fill()) {
        total += static_cast<long long>(buf_.size());
        buf_.clear();
      }
    }
    if (body_bytes != nullptr) *body_bytes = total;
    return status;
  }

  std::string tls_version() const { return ssl_ != nullptr ? SSL_get_version(ssl_) : "none"; }
  std::string tls_record_cipher() const { return ssl_ != nullptr ? "openssl" : "none"; }
  std::string tls_cipher() const { return ssl_ != nullptr ? SSL_get_cipher_name(ssl_) : "none"; }
  std::string tls_group() const {
    if (ssl_ == nullptr) return "none";
    auto nid = static_cast<int>(SSL_get_negotiated_group(ssl_));
    const char* name = nid != 0 ? OBJ_nid2sn(nid & ~TLSEXT_nid_unknown) : nullptr;
    return name != nullptr ? name : "unknown";
  }
  // How many certificates the server sent: its own and whatever chain it added.
  int server_certificates() const { return ssl_ != nullptr ? sk_X509_num(SSL_get_peer_cert_chain(ssl_)) : 0; }

 private:
  bool fill() {
    char tmp[1 << 16];
    long n = ssl_ != nullptr ? SSL_read(ssl_, tmp, sizeof tmp) : ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  SSL* ssl_ = nullptr;
  std::string buf_;
};

std::string get(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: docker\r\nUser-Agent: dockgate-loadgen\r\n\r\n";
}

SSL_CTX* make_ctx(const Options& o) {
  if (o.ca.empty()) return nullptr;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // A new connection is a new session, as the docker CLI's is: no resumption flatters handshakes.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  if (SSL_CTX_load_verify_locations(ctx, o.ca.c_str(), nullptr) != 1)
    die("--ca " + o.ca + ": " + ssl_error());
  // Send the certificates in --cert and nothing more, as the docker CLI (Go) does. OpenSSL would otherwise
  // complete the chain from the --ca store and send the CA certificate too, which every server then
  // decodes and keeps with the connection's session: more CPU per handshake and memory per connection
  // than a docker client costs them.
  SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
  if (SSL_CTX_use_certificate_chain_file(ctx, o.cert.c_str()) != 1)
    die("--cert " + o.cert + ": " + ssl_error());
  if (SSL_CTX_use_PrivateKey_file(ctx, o.key.c_str(), SSL_FILETYPE_PEM) != 1)
    die("--key " + o.key + ": " + ssl_error());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return ctx;
}

// This process's CPU seconds so far, user and system.
double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return s(u.ru_utime) + s(u.ru_stime);
}

double us_since(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t).count();
}

std::string json_list(const std::vector<double>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) s += ",";
    s += std::to_string(v[i]);
  }
  return s + "]";
}

std::string tls_json(const Conn& c) {
  return "{\"version\":\"" + c.tls_version() + "\",\"cipher\":\"" + c.tls_cipher() + "\",\"group\":\"" +
         c.tls_group() + "\",\"server_certificates\":" + std::to_string(c.server_certificates()) +
         ",\"client_record_cipher\":\"" + c.tls_record_cipher() + "\"}";
}

void latency(const Options& o, SSL_CTX* ctx) {
  Conn c(o, ctx);
  const std::string req = get(o.path);
  std::vector<double> samples;
  samples.reserve(static_cast<size_t>(o.requests));
  long warmup = std::min<long>(o.requests / 10 + 1, 200);
  for (long i = 0; i < o.requests + warmup; ++i) {
    auto t = Clock::now();
    c.write_all(req);
    int status = c.read_response();
    if (status != 200) die(o.path + " answered " + std::to_string(status));
    if (i >= warmup) samples.push_back(us_since(t));
  }
  std::cout << "{\"samples_us\":" << json_list(samples) << ",\"tls\":" << tls_json(c) << "}\n";
}

void connect_per_request(const Options& o, SSL_CTX* ctx) {
  std::atomic<bool> stop{false};
  std::atomic<long> errors{0};
  std::vector<std::vector<double>> per_thread(static_cast<size_t>(o.concurrency));
  std::string negotiated;
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (long t = 0; t < o.concurrency; ++t) {
    threads.emplace_back([&, t] {
      // As the docker CLI does: a kept-alive request (no "Connection: close"), and the client closes the
      // connection once it has the answer.
      const std::string req = get(o.path);
      while (!stop) {
        auto begin = Clock::now();
        try {
          Conn c(o, ctx);
          c.write_all(req);
          if (c.read_response() != 200) ++errors;
          per_thread[static_cast<size_t>(t)].push_back(us_since(begin));
          if (t == 0 && negotiated.empty()) negotiated = tls_json(c);
        } catch (const std::exception&) {
          ++errors;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  stop = true;
  for (auto& th : threads) th.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& v : per_thread) all.insert(all.end(), v.begin(), v.end());
  std::cout << "{\"samples_us\":" << json_list(all) << ",\"seconds\":" << elapsed
            << ",\"connections\":" << all.size() << ",\"errors\":" << errors.load()
            << ",\"tls\":" << (negotiated.empty() ? "null" : negotiated) << "}\n";
}

void download(const Options& o, SSL_CTX* ctx) {
  Conn c(o, ctx);
  auto t = Clock::now();
  double cpu = cpu_seconds();
  c.write_all(get(o.path));
  long long bytes = 0;
  int status = c.read_response(&bytes);
  double s = us_since(t) / 1e6;
  std::cout << "{\"status\":" << status << ",\"bytes\":" << bytes << ",\"seconds\":" << s
            << ",\"client_cpu_s\":" << cpu_seconds() - cpu << ",\"tls\":" << tls_json(c) << "}\n";
}

void upload(const Options& o, SSL_CTX* ctx) {
  Conn c(o, ctx);
  // Chunked, 32 KiB per chunk, as the docker CLI streams `docker load`.
  std::string block(32 * 1024, 'x');
  char size_line[32];
  int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", block.size());
  std::string chunk = std::string(size_line, static_cast<size_t>(n)) + block + "\r\n";
  auto t = Clock::now();
  double cpu = cpu_seconds();
  c.write_all(
      (o.method.empty() ? "POST " : o.method + " ") + o.path +
      " HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n");
  long long sent = 0;
  if (!o.file.empty()) {
    // A real archive (docker load), in the same 32 KiB chunks.
    FILE* f = std::fopen(o.file.c_str(), "rb");
    if (f == nullptr) die("--file " + o.file + ": " + std::strerror(errno));
    size_t got;
    while ((got = std::fread(block.data(), 1, block.size(), f)) > 0) {
      n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", got);
      c.write_all(size_line, static_cast<size_t>(n));
      c.write_all(block.data(), got);
      c.write_all("\r\n", 2);
      sent += static_cast<long long>(got);
    }
    std::fclose(f);
  }
  while (o.file.empty() && sent < o.bytes) {
    c.write_all(chunk);
    sent += static_cast<long long>(block.size());
  }
  c.write_all("0\r\n\r\n");
  long long body = 0;
  int status = c.read_response(&body);
  if (status != 200) die(o.path + " answered " + std::to_string(status));
  double s = us_since(t) / 1e6;
  std::cout << "{\"status\":" << status << ",\"bytes\":" << sent << ",\"seconds\":" << s
            << ",\"client_cpu_s\":" << cpu_seconds() - cpu << ",\"tls\":" << tls_json(c) << "}\n";
}

// Runs `work(k)` for k in [0, n) from `threads` threads; the first failure stops the rest and is thrown.
template <class Work>
void in_parallel(long n, long threads, Work work) {
  std::atomic<long> next{0};
  std::string failure;
  std::mutex failure_lock;
  std::vector<std::thread> pool;
  for (long i = 0; i < std::max(1L, threads); ++i) {
    pool.emplace_back([&] {
      for (long k = next++; k < n; k = next++) {
        try {
          work(k);
        } catch (const std::exception& e) {
          std::lock_guard guard(failure_lock);
          failure = e.what();
          next = n;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  if (!failure.empty()) die(failure);
}

// Opens the connections, and later asks each one, from --concurrency threads so that the client's work
// overlaps the server's (one at a time, each side waits for the other and 9,000 handshakes take half a
// minute); every connection is complete before the harness measures.
void idle(const Options& o, SSL_CTX* ctx) {
  std::vector<std::unique_ptr<Conn>> conns(static_cast<size_t>(o.connections));
  auto t = Clock::now();
  in_parallel(o.connections, o.concurrency,
              [&](long k) { conns[static_cast<size_t>(k)] = std::make_unique<Conn>(o, ctx); });
  double open_s = us_since(t) / 1e6;
  std::cout << "{\"holding\":" << conns.size() << ",\"open_seconds\":" << open_s << "}" << std::endl;
  std::string line;
  std::getline(std::cin, line);  // the harness measures the server now
  std::atomic<long> answered{0}, errors{0};
  const std::string req = get(o.path);
  t = Clock::now();
  in_parallel(o.connections, o.concurrency, [&](long k) {
    try {
      auto& c = *conns[static_cast<size_t>(k)];
      c.write_all(req);
      ++(c.read_response() == 200 ? answered : errors);
    } catch (const std::exception&) {
      ++errors;
    }
  });
  std::cout << "{\"answered\":" << answered << ",\"errors\":" << errors
            << ",\"answer_seconds\":" << us_since(t) / 1e6 << "}" << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) die("usage: dockgate-loadgen latency|connect|download|upload|idle --target T [options]");
    Options o;
    o.mode = argv[1];
    std::map<std::string, std::string*> text = {
        {"--target", &o.target}, {"--ca", &o.ca},         {"--cert", &o.cert}, {"--key", &o.key},
        {"--path", &o.path},     {"--method", &o.method}, {"--file", &o.file}};
    for (int i = 2; i + 1 < argc; i += 2) {
      std::string k = argv[i], v = argv[i + 1];
      if (auto it = text.find(k); it != text.end()) {
        *it->second = v;
      } else if (k == "--requests") {
        o.requests = std::stol(v);
      } else if (k == "--connections") {
        o.connections = std::stol(v);
      } else if (k == "--concurrency") {
        o.concurrency = std::stol(v);
      } else if (k == "--seconds") {
        o.seconds = std::stod(v);
      } else if (k == "--bytes") {
        o.bytes = std::stoll(v);
      } else {
        die("unknown option " + k);
      }
    }
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    SSL_CTX* ctx = make_ctx(o);
    if (o.mode == "latency") {
      latency(o, ctx);
    } else if (o.mode == "connect") {
      connect_per_request(o, ctx);
    } else if (o.mode == "download") {
      download(o, ctx);
    } else if (o.mode == "upload") {
      upload(o, ctx);
    } else if (o.mode == "idle") {
      idle(o, ctx);
    } else {
      die("unknown mode " + o.mode);
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "dockgate-loadgen: " << e.what() << "\n";
    return 1;
  }
}
