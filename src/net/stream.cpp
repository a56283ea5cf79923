// Plain sockets as a Stream.
#include "net/stream.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

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

asio::awaitable<std::size_t> PlainStream::read_some(std::span<char> into) {
  auto [ec, n] = co_await socket_.async_read_some(asio::buffer(into.data(), into.size()),
                                                  asio::as_tuple(asio::use_awaitable));
  if (ec == asio::error::eof) co_return 0;
  if (ec) throw boost::system::system_error(ec);
  co_return n;
}

asio::awaitable<void> PlainStream::write(std::string_view bytes) {
  co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), asio::use_awaitable);
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

}  // namespace dockgate::net
