// Plain sockets as a Stream.
#include "net/stream.hpp"

#include <sys/socket.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>

#include "net/deadline.hpp"

namespace dockgate::net {

asio::awaitable<void> close_gently(Stream& stream, std::size_t limit, std::chrono::milliseconds timeout) {
  try {
    co_await stream.finish_sending();
    asio::steady_timer deadline(co_await asio::this_coro::executor, timeout);
    std::array<char, 16384> sink{};
    std::size_t seen = 0;
    while (seen < limit) {
      auto n = co_await before(deadline, stream.read_some(sink));
      if (!n || *n == 0) break;
      seen += *n;
    }
  } catch (...) {
    // Gone already: nothing to wait for.
  }
}

// Reads and writes try the system call first and wait for readiness only when it would block: an Asio
// operation that completes at once still goes through the scheduler (a posted completion, and a poll of
// epoll before it runs), which costs more than the call itself on a kept-alive request. A transfer whose
// two sides are always ready would then never give the thread back, so after kYieldBytes or kYieldCalls
// without a wait the stream yields to the other connections.
PlainStream::PlainStream(Socket socket) : socket_(std::move(socket)) {
  if (socket_.is_open()) socket_.non_blocking(true);
}

bool PlainStream::yield_now(std::size_t bytes) {
  immediate_bytes_ += bytes;
  if (++immediate_calls_ < kYieldCalls && immediate_bytes_ < kYieldBytes) return false;
  immediate_calls_ = 0;
  immediate_bytes_ = 0;
  return true;
}

asio::awaitable<std::size_t> PlainStream::read_some(std::span<char> into) {
  while (true) {
    ssize_t n = ::recv(socket_.native_handle(), into.data(), into.size(), 0);
    if (n >= 0) {
      if (yield_now(static_cast<std::size_t>(n))) {
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
      }
      co_return static_cast<std::size_t>(n);  // 0: the peer has finished sending
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      immediate_calls_ = 0;
      immediate_bytes_ = 0;
      co_await socket_.async_wait(Socket::wait_read, asio::use_awaitable);
    } else if (errno != EINTR) {
      throw boost::system::system_error(errno, boost::system::system_category(), "read");
    }
  }
}

asio::awaitable<void> PlainStream::write(std::string_view bytes) {
  const std::size_t size = bytes.size();
  while (!bytes.empty()) {
    ssize_t n = ::send(socket_.native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      immediate_calls_ = 0;
      immediate_bytes_ = 0;
      co_await socket_.async_wait(Socket::wait_write, asio::use_awaitable);
    } else if (errno != EINTR) {
      throw boost::system::system_error(errno, boost::system::system_category(), "write");
    }
  }
  if (yield_now(size)) co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
}

asio::awaitable<void> PlainStream::finish_sending() {
  boost::system::error_code ec;
  socket_.shutdown(Socket::shutdown_send, ec);  // a peer that is already gone has nothing to be told
  co_return;
}

asio::awaitable<void> PlainStream::wait_readable() {
  co_await socket_.async_wait(Socket::wait_read, asio::use_awaitable);
}

void PlainStream::close() noexcept {
  boost::system::error_code ec;
  socket_.close(ec);
}

bool PlainStream::quiet() noexcept {
  if (!socket_.is_open()) return false;
  char byte = 0;
  ssize_t n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace dockgate::net
