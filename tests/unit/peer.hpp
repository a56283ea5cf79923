// A test's scripted peer on a socket: blocking sends and reads with a deadline, for the end of a socket
// pair or a unix connection that the code under test talks to.
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <string_view>

namespace dockgate::testing {

// Sends every byte; false if the other side went first.
inline bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads into `got` until it contains `until` (empty: never), the peer ends its side, or 5 s pass. Returns
// whether `got` contains `until` (with `until` empty: whether the peer ended).
inline bool read_until(int fd, std::string& got, std::string_view until) {
  using namespace std::chrono;
  auto deadline = steady_clock::now() + 5s;
  while (until.empty() || got.find(until) == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left <= 0ms || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return until.empty();
    got.append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

// Reads into `got` until the peer ends its side (true), or 5 s pass (false).
inline bool read_to_end(int fd, std::string& got) {
  return read_until(fd, got, {});
}

}  // namespace dockgate::testing
