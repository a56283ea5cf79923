// OpenSSL on a non-blocking descriptor: every call either completes or says which readiness it needs, and
// we wait for exactly that. One connection's reader and writer may be suspended at once (a tunnel);
// that is safe because both run on the one thread and each OpenSSL call finishes before the other starts.
#include "tls/stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <utility>

#include "error.hpp"
#include "pki/openssl.hpp"

namespace dockgate::tls {
namespace {

// The write side's BIO: appends each record OpenSSL writes to the stream's out_ buffer. Flushing is the
// stream's job (TlsStream::flush), so BIO_flush has nothing to do.
int append_records(BIO* bio, const char* data, size_t n, size_t* written) {
  auto* out = static_cast<OutgoingRecords*>(BIO_get_data(bio));
  out->bytes.append(data, n);
  *written = n;
  return 1;
}

long records_ctrl(BIO*, int command, long, void*) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

const BIO_METHOD* records_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "dockgate outgoing records");
    if (m == nullptr || BIO_meth_set_write_ex(m, append_records) != 1 ||
        BIO_meth_set_ctrl(m, records_ctrl) != 1 || BIO_meth_set_create(m, [](BIO* b) {
                                                     BIO_set_init(b, 1);
                                                     return 1;
                                                   }) != 1) {
      throw Error("cannot create a TLS write buffer: " + pki::openssl_errors());
    }
    return m;
  }();
  return method;
}

// Records are flushed in blocks of about this size, so a long write never holds more than this in out_: a
// relay's whole block (http/session.hpp) in one send(2), and one wake-up of the client.
constexpr std::size_t kFlushAt = std::size_t{256} * 1024;
// SSL_write takes at most this much at a time, and a longer write lets the thread's other connections run
// between these pieces: encrypting a 256 KiB block in one go would hold the thread about 70 µs.
constexpr std::size_t kWriteChunk = std::size_t{64} * 1024;

// read_some reads on from the socket once it holds at least this much (two full records or more: the client
// is streaming), while the caller's buffer has at least kReadOnRoom free.
constexpr std::size_t kReadOnAfter = std::size_t{32} * 1024;
constexpr std::size_t kReadOnRoom = std::size_t{64} * 1024;

// SSL_get_error reads the thread's error queue, so it must be empty before each SSL call. It nearly always
// is already, and OpenSSL 3.0's ERR_clear_error rewrites every slot of the queue regardless: about 900
// instructions, twice per kept-alive request.
void clear_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

}  // namespace

TlsStream::TlsStream(net::Socket socket, Context context)
    : socket_(std::move(socket)), context_(std::move(context)), ssl_(SSL_new(context_.get())) {
  if (ssl_ == nullptr) throw Error("cannot create a TLS connection: " + pki::openssl_errors());
  socket_.non_blocking(true);
  BIO* in = BIO_new_socket(socket_.native_handle(), BIO_NOCLOSE);
  BIO* out = BIO_new(records_method());
  if (in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    SSL_free(ssl_);
    throw Error("cannot create a TLS connection: " + pki::openssl_errors());
  }
  BIO_set_data(out, &out_);
  SSL_set_bio(ssl_, in, out);
}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
}

asio::awaitable<TlsStream::Opening> TlsStream::peek_opening() {
  std::array<char, 5> head{};
  while (true) {
    co_await socket_.async_wait(net::Socket::wait_read, asio::use_awaitable);
    ssize_t n = ::recv(socket_.native_handle(), head.data(), head.size(), MSG_PEEK);
    if (n == 0) co_return Opening::closed;
    if (n < 0 || head[0] == 0x16) co_return Opening::tls;  // errors: let the handshake report them
    if (n < 5) continue;
    std::string_view s(head.data(), 5);
    bool http = s == "GET /" || s == "HEAD " || s == "POST " || s == "PUT /" || s == "OPTIO" || s == "DELET";
    co_return http ? Opening::plain_http : Opening::tls;
  }
}

asio::awaitable<void> TlsStream::wait_for(int result, const char* operation) {
  int error = SSL_get_error(ssl_, result);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      co_await socket_.async_wait(net::Socket::wait_read, asio::use_awaitable);
      co_return;
    case SSL_ERROR_WANT_WRITE:
      co_await socket_.async_wait(net::Socket::wait_write, asio::use_awaitable);
      co_return;
    default:
      std::rethrow_exception(failure(error, operation));
  }
}

std::exception_ptr TlsStream::failure(int error, const char* operation) {
  if (error == SSL_ERROR_SYSCALL) {
    int e = errno;
    ERR_clear_error();
    if (e != 0) {
      return std::make_exception_ptr(
          boost::system::system_error(e, boost::system::system_category(), operation));
    }
    return std::make_exception_ptr(boost::system::system_error(asio::error::eof, operation));
  }
  std::string why = pki::openssl_errors();
  // A refused client certificate: say why it was refused (expired, wrong CA, not for clients, ...).
  if (long verify = SSL_get_verify_result(ssl_); verify != X509_V_OK) {
    why += std::string(why.empty() ? "" : ": ") + X509_verify_cert_error_string(verify);
  }
  return std::make_exception_ptr(Error(std::string(operation) + ": " + (why.empty() ? "TLS error" : why)));
}

// Like PlainStream::write, but on out_ itself, re-read after every wait: a reader on this connection may
// append records (an alert, a key update answer) while we wait for writability.
asio::awaitable<void> TlsStream::flush() {
  while (out_.sent < out_.bytes.size()) {
    ssize_t n = ::send(socket_.native_handle(), out_.bytes.data() + out_.sent, out_.bytes.size() - out_.sent,
                       MSG_NOSIGNAL);
    if (n >= 0) {
      out_.sent += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      co_await socket_.async_wait(net::Socket::wait_write, asio::use_awaitable);
    } else if (errno != EINTR) {
      throw boost::system::system_error(errno, boost::system::system_category(), "TLS write");
    }
  }
  out_.bytes.clear();
  out_.sent = 0;
}

void TlsStream::send_now() noexcept {
  int saved = errno;  // wait_for() reads the failed call's errno
  while (out_.sent < out_.bytes.size()) {
    ssize_t n = ::send(socket_.native_handle(), out_.bytes.data() + out_.sent, out_.bytes.size() - out_.sent,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      out_.sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // the socket is full (a writer's flush sends the rest) or the peer is gone (its read says so)
    }
  }
  if (out_.sent == out_.bytes.size()) {
    out_.bytes.clear();
    out_.sent = 0;
  }
  errno = saved;
}

asio::awaitable<void> TlsStream::flush_quietly() {
  int saved = errno;  // wait_for() reads the failed call's errno
  try {
    co_await flush();
  } catch (const boost::system::system_error&) {
    out_.bytes.clear();  // the peer is gone; the call's own failure is what gets reported
    out_.sent = 0;
  }
  errno = saved;
}

asio::awaitable<void> TlsStream::handshake() {
  while (true) {
    clear_errors();
    errno = 0;
    int r = SSL_accept(ssl_);
    if (r == 1) {
      if (!out_.bytes.empty()) co_await flush();
      co_return;
    }
    int error = SSL_get_error(ssl_, r);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (!out_.bytes.empty()) co_await flush();  // this flight, before waiting for the client's next
    } else if (!out_.bytes.empty()) {
      co_await flush_quietly();  // the alert that tells the client why (certificate revoked, ...)
    }
    co_await wait_for(r, "TLS handshake");
  }
}

void TlsStream::describe_peer(Identity& identity) const {
  if (const X509* cert = SSL_get0_peer_certificate(ssl_)) describe_certificate(cert, identity);
}

std::size_t TlsStream::read_pending(std::span<char> into) {
  std::size_t n = 0;
  while (n < into.size() && SSL_has_pending(ssl_) == 1) {
    clear_errors();
    errno = 0;
    size_t more = 0;
    int r = SSL_read_ex(ssl_, into.data() + n, into.size() - n, &more);
    if (r != 1) {
      keep_failure(r);  // or the rest of a record is still on the wire
      break;
    }
    n += more;
  }
  return n;
}

std::size_t TlsStream::read_available(std::span<char> into) {
  clear_errors();
  errno = 0;
  size_t n = 0;
  int r = SSL_read_ex(ssl_, into.data(), into.size(), &n);
  if (r != 1) {
    keep_failure(r);  // or nothing more yet
    return 0;
  }
  return n + read_pending(into.subspan(n));
}

// OpenSSL reports a broken record (or a reset) once; a later call would say only that the connection is
// unusable. So it is kept, for the next read_some to throw once the bytes before it have been passed on.
// The client's close_notify needs nothing: every later call reports it again.
void TlsStream::keep_failure(int result) {
  int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_SSL || error == SSL_ERROR_SYSCALL) deferred_ = failure(error, "TLS read");
  ERR_clear_error();
}

asio::awaitable<std::size_t> TlsStream::read_some(std::span<char> into) {
  if (deferred_) std::rethrow_exception(std::exchange(deferred_, nullptr));
  while (true) {
    clear_errors();
    errno = 0;
    size_t n = 0;
    int r = SSL_read_ex(ssl_, into.data(), into.size(), &n);
    if (r == 1) {
      // SSL_read returns one record (16 KiB at most); take the others read-ahead already holds too, so that
      // a bulk upload moves in buffer-sized blocks, not record-sized ones.
      n += read_pending(into.subspan(n));
      // A client that sent two records or more at once is streaming (an upload): read on from the socket
      // while the caller has room, so that a relay moves up to its whole block per wake-up, not one 64 KiB
      // read-ahead buffer. A request of a few records never gets here, so it pays no read(2) that finds
      // nothing. The thread's other connections run between these pieces, as between a long write's. A
      // caller cancelled meanwhile (a response that ended, a deadline) gets what was read: its next co_await
      // of an operation would throw, and OpenSSL has already given these bytes up.
      asio::cancellation_state caller = co_await asio::this_coro::cancellation_state;
      auto cancelled = [&] { return caller.cancelled() != asio::cancellation_type::none; };
      while (!deferred_ && n >= kReadOnAfter && into.size() - n >= kReadOnRoom && !cancelled()) {
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        if (cancelled()) break;
        std::size_t more = read_available(into.subspan(n));
        if (more == 0) break;
        n += more;
      }
      co_return n;
    }
    // close_notify, or (with SSL_OP_IGNORE_UNEXPECTED_EOF) a bare FIN: the client has finished sending.
    // Docker's CLI half-closes with a plain TCP FIN after stdin ends; both mean the same here.
    if (SSL_get_error(ssl_, r) == SSL_ERROR_ZERO_RETURN) co_return 0;
    // A renegotiation attempt is answered with a no_renegotiation alert (SSL_OP_NO_RENEGOTIATION), which
    // would otherwise wait for the next response's flush while the client waits for it: silence.
    if (out_.sent < out_.bytes.size()) send_now();
    co_await wait_for(r, "TLS read");
  }
}

asio::awaitable<void> TlsStream::write(std::string_view bytes) {
  while (!bytes.empty()) {
    std::string_view chunk = bytes.substr(0, kWriteChunk);
    while (true) {
      clear_errors();
      errno = 0;
      size_t n = 0;
      // A retry after a wait hands SSL_write the same bytes at the same address, as OpenSSL requires.
      int r = SSL_write_ex(ssl_, chunk.data(), chunk.size(), &n);
      if (r == 1) break;  // all of it: partial writes are not enabled
      co_await wait_for(r, "TLS write");
    }
    bytes.remove_prefix(chunk.size());
    if (out_.bytes.size() >= kFlushAt) co_await flush();
    if (!bytes.empty()) co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  }
  if (out_.sent < out_.bytes.size()) co_await flush();
}

asio::awaitable<void> TlsStream::finish_sending() {
  if (sent_close_notify_) co_return;
  sent_close_notify_ = true;
  // close_notify, then a TCP FIN: Go's tls.Conn reports io.EOF for the first, and raw-socket readers (the
  // CLI's hijacked stdout copy) see the second. Reading continues until the client finishes too.
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);  // writes close_notify into out_; never waits with this BIO
  ERR_clear_error();
  co_await flush_quietly();  // nothing more we can tell a peer that is gone
  boost::system::error_code ec;
  socket_.shutdown(net::Socket::shutdown_send, ec);
}

asio::awaitable<void> TlsStream::wait_readable() {
  if (out_.bytes.empty()) {  // idle: no buffers
    if (out_.bytes.capacity() > std::string().capacity()) std::string().swap(out_.bytes);
  }
  if (deferred_ || SSL_has_pending(ssl_) == 1) co_return;
  co_await socket_.async_wait(net::Socket::wait_read, asio::use_awaitable);
}

void TlsStream::close() noexcept {
  boost::system::error_code ec;
  socket_.close(ec);
}

}  // namespace dockgate::tls
