// Opening listeners the way dockerd does (moby daemon/listeners/listeners_linux.go), with two
// differences: a unix socket that another process still serves is never unlinked from under it, and
// fd://NAME selects systemd sockets by their FileDescriptorName.
#include "net/listeners.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "error.hpp"
#include "net/fd.hpp"

namespace dockgate::net {
namespace {

using config::ListenAddress;

std::string errno_text(int e) {
  return std::strerror(e);
}

bool is_loopback(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
    return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

Listener open_tcp(const ListenAddress& a) {
  // Go's wording, which dockerd passes on: "listen tcp 127.0.0.1:2376: bind: address already in use".
  std::string go_addr = a.text().substr(6);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  // An empty host (":2376") listens on every address, IPv6 and IPv4 alike, as Go does.
  const char* host = a.host.empty() ? "::" : a.host.c_str();
  if (int rc = ::getaddrinfo(host, std::to_string(a.port).c_str(), &hints, &found); rc != 0) {
    throw Error("listen tcp " + go_addr + ": lookup " + a.host + ": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, ::freeaddrinfo);
  Fd fd(::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw Error("listen tcp " + go_addr + ": socket: " + errno_text(errno));
  int on = 1, off = 0;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (found->ai_family == AF_INET6 && a.host.empty()) {
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  if (::bind(fd.get(), found->ai_addr, found->ai_addrlen) != 0) {
    throw Error("listen tcp " + go_addr + ": bind: " + errno_text(errno));
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) throw Error("listen tcp " + go_addr + ": " + errno_text(errno));
  return {fd.release(), a.text(), found->ai_family, false, is_loopback(found->ai_addr), "", 0, 0, 0};
}

std::optional<gid_t> socket_group(const std::string& group, std::vector<std::string>& warnings) {
  if (group.empty()) return std::nullopt;
  if (group.find_first_not_of("0123456789") == std::string::npos) {
    return static_cast<gid_t>(std::stoul(group));
  }
  if (const struct group* g = ::getgrnam(group.c_str())) return g->gr_gid;
  if (group == "docker") {
    warnings.push_back(
        "could not change group of unix sockets to docker: group docker not found; they stay "
        "owned by this process's group");
    return std::nullopt;
  }
  throw Error("-G/--group: group " + group + " not found; create it or name an existing group");
}

Listener open_unix(const ListenAddress& a, std::optional<gid_t> gid) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (a.path.size() >= sizeof sun.sun_path) {
    throw Error(a.text() + ": the socket path is longer than the " + std::to_string(sizeof sun.sun_path - 1) +
                " bytes unix sockets allow");
  }
  std::memcpy(sun.sun_path, a.path.c_str(), a.path.size() + 1);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw Error(a.text() + ": socket: " + errno_text(errno));

  struct stat st {};
  if (::lstat(a.path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      throw Error(a.text() + ": " + a.path + " exists and is not a socket; remove it or choose another path");
    }
    // dockerd unlinks whatever is there, which silently cuts off a running daemon. Ask the socket first.
    Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0) {
      throw Error(a.text() + ": another process is serving this socket; stop it or choose another -H path");
    }
    if (errno != ECONNREFUSED) {
      throw Error(a.text() +
                  ": cannot tell whether another process serves this socket: " + errno_text(errno));
    }
    if (::unlink(a.path.c_str()) != 0) {
      throw Error(a.text() + ": cannot remove the stale socket: " + errno_text(errno));
    }
  }
  // Bind under a tight umask so that nobody can connect before the mode and group are right.
  mode_t old = ::umask(0177);
  int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sun), sizeof sun);
  int bind_errno = errno;
  ::umask(old);
  if (rc != 0) throw Error("listen unix " + a.path + ": bind: " + errno_text(bind_errno));
  if (gid && ::chown(a.path.c_str(), static_cast<uid_t>(-1), *gid) != 0) {
    int e = errno;
    ::unlink(a.path.c_str());
    throw Error(a.text() + ": cannot give the socket to group " + std::to_string(*gid) + ": " +
                errno_text(e));
  }
  if (::chmod(a.path.c_str(), 0660) != 0 || ::listen(fd.get(), SOMAXCONN) != 0) {
    int e = errno;
    ::unlink(a.path.c_str());
    throw Error(a.text() + ": " + errno_text(e));
  }
  Listener l{fd.release(), a.text(), AF_UNIX, true, false, a.path, 0, 0, 0};
  if (::lstat(a.path.c_str(), &st) == 0) {
    l.socket_device = st.st_dev;
    l.socket_inode = st.st_ino;
    l.socket_changed_ns = std::int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec;
  }
  return l;
}

// The sockets systemd passed in, with their names. sd_listen_fds_with_names unsets the environment so that
// children do not inherit them, hence read once.
struct Activated {
  std::vector<int> fds;
  std::vector<std::string> names;
};

const Activated& activated() {
  static const Activated a = [] {
    Activated out;
    char** names = nullptr;
    int n = sd_listen_fds_with_names(1, &names);
    for (int i = 0; i < n; ++i) {
      out.fds.push_back(SD_LISTEN_FDS_START + i);
      out.names.emplace_back(names != nullptr && names[i] != nullptr ? names[i] : "");
      ::fcntl(SD_LISTEN_FDS_START + i, F_SETFD, FD_CLOEXEC);
    }
    if (names != nullptr) {
      for (int i = 0; i < n; ++i) std::free(names[i]);
      std::free(names);
    }
    return out;
  }();
  return a;
}

Listener adopt_fd(int fd, const std::string& name) {
  if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
    throw Error("failed to listen on systemd activated file: fd " + std::to_string(fd) +
                " is not a listening stream socket");
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  const auto* sa = reinterpret_cast<const sockaddr*>(&ss);
  std::string text = "fd://" + std::to_string(fd);
  if (!name.empty() && name != "unknown") text += " (" + name + ")";
  return {fd, text, sa->sa_family, sa->sa_family == AF_UNIX, is_loopback(sa), "", 0, 0, 0};
}

// fd://, fd://N, fd://NAME. The first two keep moby's error texts (listeners_linux.go, listenFD).
std::vector<Listener> open_fd(const ListenAddress& a) {
  const Activated& act = activated();
  if (act.fds.empty()) {
    throw Error("no sockets found via socket activation: make sure the service was started by systemd");
  }
  std::vector<Listener> out;
  if (a.fd.empty() || a.fd == "*") {
    for (size_t i = 0; i < act.fds.size(); ++i) out.push_back(adopt_fd(act.fds[i], act.names[i]));
    return out;
  }
  int number = 0;
  auto [end, ec] = std::from_chars(a.fd.data(), a.fd.data() + a.fd.size(), number);
  if (ec == std::errc() && end == a.fd.data() + a.fd.size()) {
    size_t offset = static_cast<size_t>(number - SD_LISTEN_FDS_START);
    if (number < SD_LISTEN_FDS_START || offset >= act.fds.size()) {
      throw Error("too few socket activated files passed in by systemd");
    }
    out.push_back(adopt_fd(act.fds[offset], act.names[offset]));
    return out;
  }
  for (size_t i = 0; i < act.fds.size(); ++i) {
    if (act.names[i] == a.fd) out.push_back(adopt_fd(act.fds[i], act.names[i]));
  }
  if (out.empty()) {
    std::string names;
    for (const auto& n : act.names) names += (names.empty() ? "" : ", ") + n;
    throw Error("fd://" + a.fd +
                ": no socket activated by systemd has that name (FileDescriptorName=); "
                "the names passed in are: " +
                names);
  }
  return out;
}

}  // namespace

std::vector<Listener> open_listeners(const std::vector<ListenAddress>& addresses, const std::string& group,
                                     std::vector<std::string>& warnings) {
  std::vector<Listener> out;

  try {
    std::optional<std::optional<gid_t>> gid;
    for (const auto& a : addresses) {
      switch (a.kind) {
        case ListenAddress::Kind::tcp:
          out.push_back(open_tcp(a));
          break;
        case ListenAddress::Kind::unix_socket:
          if (!gid) gid = socket_group(group, warnings);
          out.push_back(open_unix(a, *gid));
          break;
        case ListenAddress::Kind::fd:
          for (auto& l : open_fd(a)) out.push_back(std::move(l));
          break;
      }
    }
  } catch (...) {
    for (const auto& l : out) ::close(l.fd);
    remove_socket_files(out);
    throw;
  }
  return out;
}

void remove_socket_files(const std::vector<Listener>& listeners) noexcept {
  for (const auto& l : listeners) {
    struct stat st {};
    if (l.socket_path.empty() || ::lstat(l.socket_path.c_str(), &st) != 0) continue;
    std::int64_t changed_ns = std::int64_t{st.st_ctim.tv_sec} * 1'000'000'000 + st.st_ctim.tv_nsec;
    if (S_ISSOCK(st.st_mode) && st.st_dev == l.socket_device && st.st_ino == l.socket_inode &&
        changed_ns == l.socket_changed_ns) {
      ::unlink(l.socket_path.c_str());
    }
  }
}

}  // namespace dockgate::net
