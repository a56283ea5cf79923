// A synthetic Docker engine for the benchmark: answers on a unix socket as fast as the machine allows, so
// that what remains of a measurement through a proxy is the proxy's own cost. Its bulk stream looks like
// dockerd's `docker save`: chunked, 32 KiB per chunk, each chunk written (flushed) on its own; a
// Content-Length body served with sendfile would flatter every proxy.
//
//   dockgate-upstream SOCKET_PATH
// GET /_ping, GET /version, GET /bulk?bytes=N; any POST or PUT body is read and dropped.
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

const char* const kPing =
    "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nCache-Control: no-cache, no-store, must-revalidate\r\n"
    "Content-Length: 2\r\nContent-Type: text/plain; charset=utf-8\r\nDocker-Experimental: false\r\n"
    "Ostype: linux\r\nPragma: no-cache\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\n"
    "Date: Tue, 24 Nov 2026 00:00:00 GMT\r\n\r\nOK";

std::string version_response() {
  std::string body =
      R"({"Platform":{"Name":""},"Components":[{"Name":"Engine","Version":"20.10.24+dfsg1","Details":{"ApiVersion":"1.41","Arch":"amd64","BuildTime":"2024-01-01T00:00:00.000000000+00:00","Experimental":"false","GitCommit":"5d6db84","GoVersion":"go1.19.8","KernelVersion":"6.1.0","MinAPIVersion":"1.12","Os":"linux"}}],"Version":"20.10.24+dfsg1","ApiVersion":"1.41","MinAPIVersion":"1.12","GitCommit":"5d6db84","GoVersion":"go1.19.8","Os":"linux","Arch":"amd64","KernelVersion":"6.1.0","BuildTime":"2024-01-01T00:00:00.000000000+00:00"})"
      "\n";
  return "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nDocker-Experimental: "
         "false\r\n"
         "Ostype: linux\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\nDate: Tue, 24 Nov 2026 00:00:00 GMT\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

bool write_all(int fd, const iovec* iov, int n) {
  std::vector<iovec> v(iov, iov + n);
  size_t i = 0;
  while (i < v.size()) {
    ssize_t w = ::writev(fd, v.data() + i, static_cast<int>(v.size() - i));
    if (w < 0) return false;
    auto left = static_cast<size_t>(w);
    while (i < v.size() && left >= v[i].iov_len) left -= v[i++].iov_len;
    if (i < v.size()) {
      v[i].iov_base = static_cast<char*>(v[i].iov_base) + left;
      v[i].iov_len -= left;
    }
  }
  return true;
}

bool send_text(int fd, const std::string& s) {
  iovec v{const_cast<char*>(s.data()), s.size()};
  return write_all(fd, &v, 1);
}

// Reads and drops a request body framed by Content-Length or chunked; `buf` holds what was read past the
// head.
bool drain_body(int fd, std::string& buf, const std::string& head) {
  std::string lower = head;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  char tmp[1 << 16];
  auto fill = [&] {
    ssize_t n = ::read(fd, tmp, sizeof tmp);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
    return true;
  };
  if (size_t cl = lower.find("\r\ncontent-length:"); cl != std::string::npos) {
    long long left = std::stoll(lower.substr(cl + 17));
    while (left > 0) {
      if (buf.empty() && !fill()) return false;
      long long take = std::min<long long>(left, static_cast<long long>(buf.size()));
      buf.erase(0, static_cast<size_t>(take));
      left -= take;
    }
    return true;
  }
  if (lower.find("\r\ntransfer-encoding: chunked") == std::string::npos) return true;
  for (;;) {
    size_t eol;
    while ((eol = buf.find("\r\n")) == std::string::npos) {
      if (!fill()) return false;
    }
    long long size = std::stoll(buf.substr(0, eol), nullptr, 16);
    buf.erase(0, eol + 2);
    if (size == 0) {
      while ((eol = buf.find("\r\n")) == std::string::npos) {
        if (!fill()) return false;
      }
      buf.erase(0, eol + 2);
      return true;
    }
    long long left = size + 2;
    while (left > 0) {
      if (buf.empty() && !fill()) return false;
      long long take = std::min<long long>(left, static_cast<long long>(buf.size()));
      buf.erase(0, static_cast<size_t>(take));
      left -= take;
    }
  }
}

bool bulk(int fd, long long bytes) {
  static const std::string block(32 * 1024, 'd');
  const std::string head =
      "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/x-tar\r\nDocker-Experimental: "
      "false\r\n"
      "Ostype: linux\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\nTransfer-Encoding: chunked\r\n\r\n";
  if (!send_text(fd, head)) return false;
  char size_line[16];
  int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", block.size());
  char crlf[] = "\r\n";
  for (long long sent = 0; sent < bytes; sent += static_cast<long long>(block.size())) {
    iovec v[3] = {
        {size_line, static_cast<size_t>(n)}, {const_cast<char*>(block.data()), block.size()}, {crlf, 2}};
    if (!write_all(fd, v, 3)) return false;
  }
  return send_text(fd, "0\r\n\r\n");
}

void serve(int fd) {
  static const std::string version = version_response();
  std::string buf;
  char tmp[1 << 16];
  for (;;) {
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::read(fd, tmp, sizeof tmp);
      if (n <= 0) {
        ::close(fd);
        return;
      }
      buf.append(tmp, static_cast<size_t>(n));
    }
    std::string head = buf.substr(0, end + 4);
    buf.erase(0, end + 4);
    std::string line = head.substr(0, head.find("\r\n"));
    bool ok = true;
    if (line.starts_with("GET /_ping") || line.starts_with("HEAD /_ping")) {
      ok = send_text(fd, kPing);
    } else if (line.find("/version ") != std::string::npos) {
      ok = send_text(fd, version);
    } else if (size_t b = line.find("/bulk?bytes="); b != std::string::npos) {
      ok = bulk(fd, std::stoll(line.substr(b + 12)));
    } else if (line.starts_with("POST") || line.starts_with("PUT")) {
      ok = drain_body(fd, buf, head) &&
           send_text(fd,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                     "18\r\n\r\n{\"stream\":\"done\"}\n");
    } else {
      ok = send_text(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    }
    if (!ok) {
      ::close(fd);
      return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: dockgate-upstream SOCKET_PATH\n";
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  int lfd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, argv[1], sizeof sa.sun_path - 1);
  ::unlink(argv[1]);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(lfd, 4096) != 0) {
    std::cerr << "dockgate-upstream: cannot listen on " << argv[1] << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  for (;;) {
    int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::thread(serve, fd).detach();
  }
}
