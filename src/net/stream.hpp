// A connected byte stream with independent half-close, whatever carries it: a plain TCP or unix socket, or
// TLS over one (tls/stream.hpp). The HTTP session and the tunnel see only this.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <chrono>
#include <memory>
#include <span>
#include <string_view>

namespace dockgate::net {

namespace asio = boost::asio;
using Socket = asio::generic::stream_protocol::socket;

class Stream {
 public:
  virtual ~Stream() = default;
  // Reads at least one byte into `into`; returns 0 once the peer has finished sending (FIN, or TLS
  // close_notify). Throws boost::system::system_error when the connection fails or is closed under it.
  virtual asio::awaitable<std::size_t> read_some(std::span<char> into) = 0;
  // Writes every byte, waiting as long as the peer takes to accept them (that wait is the backpressure).
  virtual asio::awaitable<void> write(std::string_view bytes) = 0;
  // Tells the peer nothing more will be sent, leaving the other direction open.
  virtual asio::awaitable<void> finish_sending() = 0;
  // Completes when bytes can be read, without holding a buffer meanwhile.
  virtual asio::awaitable<void> wait_readable() = 0;
  // Closes at once; pending operations complete with an error.
  virtual void close() noexcept = 0;
  // The socket underneath, for a deadline over a stretch of reads (net::SocketDeadline).
  virtual Socket& socket() noexcept = 0;
  // For a connection between exchanges: true if the peer has neither sent anything nor finished since (a
  // peek that does not wait finds nothing to read). Streams that cannot tell answer false.
  virtual bool quiet() noexcept { return false; }
};

// A lingering close after our last bytes: finish_sending(), then read and discard what the client still
// sends, for up to `limit` bytes or `timeout`, so that closing does not reset the connection (which can
// destroy an error response or a TLS alert before the client reads it, RFC 9112 §9.6). Never throws.
asio::awaitable<void> close_gently(Stream& stream, std::size_t limit, std::chrono::milliseconds timeout);

class PlainStream final : public Stream {
 public:
  explicit PlainStream(Socket socket);
  asio::awaitable<std::size_t> read_some(std::span<char> into) override;
  asio::awaitable<void> write(std::string_view bytes) override;
  asio::awaitable<void> finish_sending() override;
  asio::awaitable<void> wait_readable() override;
  void close() noexcept override;
  bool quiet() noexcept override;
  Socket& socket() noexcept override { return socket_; }

 private:
  // Counts a call that moved `bytes` without waiting; true when it is time to let others run.
  bool yield_now(std::size_t bytes);
  static constexpr int kYieldCalls = 64;
  static constexpr std::size_t kYieldBytes = std::size_t{64} * 1024;

  Socket socket_;
  int immediate_calls_ = 0;
  std::size_t immediate_bytes_ = 0;
};

}  // namespace dockgate::net
