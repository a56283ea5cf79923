// An owned file descriptor, closed when it goes out of scope; for the places that use raw sockets
// (opening listeners, the doctor's probes) rather than Asio's. And what to say when the process has none
// left.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

namespace dockgate::net {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  // Hands the descriptor over; this object no longer closes it.
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// For a failure with `error` (an errno value): when it is that this process (EMFILE) or the system (ENFILE)
// has no file descriptor left, what to tell a person, naming the limit and how to raise it; else "".
inline std::string descriptors_exhausted(int error) {
  if (error == ENFILE) return "the system has no file descriptor left (fs.file-max): raise it";
  if (error != EMFILE) return {};
  rlimit limit{};
  std::string n = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 ? std::to_string(limit.rlim_cur) : "?";
  return "dockgate is out of file descriptors (its limit is " + n +
         " open files): raise LimitNOFILE= in its unit, or ulimit -n where it is started";
}

}  // namespace dockgate::net
