// Two pumps and a grace timer; see pump.hpp.
#include "net/pump.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace dockgate::net {
namespace {

asio::awaitable<void> pump(Stream& from, Buffer& buffer, Stream& to, std::uint64_t& count) {
  while (true) {
    if (buffer.empty()) {
      std::size_t n = co_await from.read_some(buffer.space());
      if (n == 0) break;
      buffer.commit(n);
    }
    std::string_view block = buffer.data();
    co_await to.write(block);
    buffer.consume(block.size());
    count += block.size();
  }
  buffer.release();
  co_await to.finish_sending();
}

}  // namespace

asio::awaitable<TunnelBytes> tunnel(Stream& client, Buffer& client_buffer, Stream& engine,
                                    Buffer& engine_buffer, std::chrono::seconds client_grace) {
  using namespace asio::experimental::awaitable_operators;
  TunnelBytes bytes;
  bool upstream_done = false;
  asio::steady_timer grace(co_await asio::this_coro::executor);

  auto upstream = [&]() -> asio::awaitable<void> {
    co_await pump(client, client_buffer, engine, bytes.client_to_engine);
    upstream_done = true;
    grace.cancel();
  };
  auto downstream = [&]() -> asio::awaitable<void> {
    co_await pump(engine, engine_buffer, client, bytes.engine_to_client);
    if (upstream_done) co_return;
    grace.expires_after(client_grace);
    co_await grace.async_wait(asio::as_tuple(asio::use_awaitable));  // cancelled when upstream ends
    if (!upstream_done) client.close();                              // ends the upstream pump with an error
  };
  co_await (upstream() && downstream());
  co_return bytes;
}

}  // namespace dockgate::net
