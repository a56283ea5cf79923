// An owned file descriptor, closed when it goes out of scope; for the places that use raw sockets
// (opening listeners, the doctor's probes) rather than Asio's.
#pragma once

#include <unistd.h>

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

}  // namespace dockgate::net
