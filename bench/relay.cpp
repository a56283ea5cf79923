// A benchmark limit: a TCP-to-unix-socket relay with no TLS and no HTTP, which only wakes, reads and
// writes. Measured beside the contenders on the engine's core, it shows what the extra hop itself costs
// there, before any proxy's TLS and HTTP work (bench/RESULTS.md, step 27).
//
//   dockgate-relay PORT SOCKET_PATH
// Listens on 127.0.0.1:PORT; each connection gets its own connection to SOCKET_PATH and a thread that moves
// bytes both ways with poll(2), read(2) and write(2), up to 256 KiB per round (the gateway's relay round),
// and passes on each side's end of stream as a half-close.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr size_t kRound = 256 * 1024;

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

int dial_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Moves bytes between the client and the engine until both directions have ended; closes both.
void relay(int client, const std::string& engine_path) {
  int engine = dial_unix(engine_path);
  if (engine < 0) {
    ::close(client);
    return;
  }
  std::vector<char> buf(kRound);
  pollfd fds[2] = {{client, POLLIN, 0}, {engine, POLLIN, 0}};
  int open_directions = 2;
  while (open_directions > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    bool failed = false;
    for (int i = 0; i < 2 && !failed; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      int to = i == 0 ? engine : client;
      ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
      if (n > 0) {
        failed = !write_all(to, buf.data(), static_cast<size_t>(n));
      } else if (n == 0) {  // this side's end of stream: pass it on, keep the other direction
        ::shutdown(to, SHUT_WR);
        fds[i].fd = -1;
        --open_directions;
      } else if (errno != EINTR) {
        failed = true;
      }
    }
    if (failed) break;
  }
  ::close(client);
  ::close(engine);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: dockgate-relay PORT SOCKET_PATH\n";
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  std::string engine_path = argv[2];
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(argv[1])));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(lfd, 4096) != 0) {
    std::cerr << "dockgate-relay: cannot listen on 127.0.0.1:" << argv[1] << ": " << std::strerror(errno)
              << "\n";
    return 1;
  }
  for (;;) {
    int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as every contender sets it
    std::thread(relay, fd, engine_path).detach();
  }
}
