// Connecting to the engine: unix socket or TCP, TCP_NODELAY on the latter (without it every request on a
// fresh connection stalls about 42 ms waiting on delayed ACKs).
#include "net/engine.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "error.hpp"

namespace dockgate::net {

config::ListenAddress parse_engine_address(const std::string& value) {
  config::ListenAddress a;
  try {
    a = config::parse_listen_address(value, false);
  } catch (const Error& e) {
    throw Error("--upstream: " + std::string(e.what()));
  }
  if (value.empty() || a.kind == config::ListenAddress::Kind::fd) {
    throw Error("--upstream " + value + ": the engine is reached at unix://PATH or tcp://HOST:PORT");
  }
  return a;
}

asio::awaitable<std::unique_ptr<Stream>> connect_engine(const config::ListenAddress& engine) {
  auto executor = co_await asio::this_coro::executor;
  if (engine.kind == config::ListenAddress::Kind::unix_socket) {
    asio::local::stream_protocol::socket s(executor);
    co_await s.async_connect(asio::local::stream_protocol::endpoint(engine.path), asio::use_awaitable);
    co_return std::make_unique<PlainStream>(Socket(std::move(s)));
  }
  asio::ip::tcp::resolver resolver(executor);
  auto results =
      co_await resolver.async_resolve(engine.host, std::to_string(engine.port), asio::use_awaitable);
  asio::ip::tcp::socket s(executor);
  boost::system::error_code last = asio::error::host_not_found;
  for (const auto& r : results) {
    boost::system::error_code ignored;
    s.close(ignored);
    auto [ec] = co_await s.async_connect(r.endpoint(), asio::as_tuple(asio::use_awaitable));
    if (!ec) {
      s.set_option(asio::ip::tcp::no_delay(true));
      co_return std::make_unique<PlainStream>(Socket(std::move(s)));
    }
    last = ec;
  }
  throw boost::system::system_error(last);
}

}  // namespace dockgate::net
