// TLS over a socket, with OpenSSL reading the socket's file descriptor directly and Asio only waiting for
// readiness. Compared with asio::ssl::stream this keeps no fixed 17 KiB buffers or BIO pair per
// connection (about 82 KiB per idle connection measured here) and lets OpenSSL release its record buffers
// when idle. Outgoing records are collected in a buffer of ours and leave in one send(2) per write():
// OpenSSL's socket BIO makes every 16 KiB record its own system call and TCP segment. Kernel TLS, where a
// kernel has it, would put OpenSSL's socket BIO back on the write side (it needs the real descriptor).
#pragma once

#include <openssl/types.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "net/stream.hpp"
#include "tls/context.hpp"
#include "tls/identity.hpp"

namespace dockgate::tls {

namespace asio = boost::asio;

// What a TlsStream's write-side BIO collects: the records OpenSSL wrote, from `sent` on not yet sent.
struct OutgoingRecords {
  std::string bytes;
  std::size_t sent = 0;
};

class TlsStream final : public net::Stream {
 public:
  // Takes the socket (which must be connected and non-blocking is set here) and the context current at
  // accept time; later reloads do not affect this connection.
  TlsStream(net::Socket socket, Context context);
  ~TlsStream() override;
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // What the client's first bytes look like, peeked without consuming them: a TLS handshake, a plain
  // HTTP request (as Go's server checks, crypto/tls RecordHeaderError; such a client gets a plain-text
  // 400 it can understand), or nothing at all (a port probe or health check that closed at once).
  enum class Opening { tls, plain_http, closed };
  asio::awaitable<Opening> peek_opening();
  // The server side of the handshake. Throws boost::system::system_error, or Error with OpenSSL's reason
  // (a refused client certificate, no shared cipher, ...), which the caller logs.
  asio::awaitable<void> handshake();
  // After the handshake: the verified client certificate's identity.
  void describe_peer(Identity& identity) const;

  // The plain-text socket, for Go's plain-HTTP answer before any TLS.
  net::Socket& socket() noexcept override { return socket_; }

  asio::awaitable<std::size_t> read_some(std::span<char> into) override;
  asio::awaitable<void> write(std::string_view bytes) override;
  asio::awaitable<void> finish_sending() override;
  asio::awaitable<void> wait_readable() override;
  void close() noexcept override;

 private:
  // Waits for what OpenSSL said it needs after a call returned `result`; throws for real failures.
  asio::awaitable<void> wait_for(int result, const char* operation);
  // The exception for an SSL_get_error() result other than WANT_READ and WANT_WRITE.
  std::exception_ptr failure(int error, const char* operation);
  // The plaintext OpenSSL already holds, without reading the socket. A failure goes to deferred_.
  std::size_t read_pending(std::span<char> into);
  // What the socket has now, without waiting; 0 if nothing. A failure goes to deferred_.
  std::size_t read_available(std::span<char> into);
  // After a read that returned `result` with bytes already in hand: a real failure goes to deferred_.
  void keep_failure(int result);
  // Sends every collected record.
  asio::awaitable<void> flush();
  // After a failed handshake or shutdown call: sends the alert OpenSSL wrote, if the peer still listens.
  asio::awaitable<void> flush_quietly();
  // Before a reader waits: sends, without waiting, the records a read made (an alert such as
  // no_renegotiation, the answer to a key update), which the client may be waiting for.
  void send_now() noexcept;

  net::Socket socket_;
  Context context_;
  SSL* ssl_ = nullptr;
  OutgoingRecords out_;
  bool sent_close_notify_ = false;
  std::exception_ptr deferred_;  // a read failure met with bytes in hand; the next read_some throws it
};

}  // namespace dockgate::tls
