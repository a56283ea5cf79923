// TlsStream on a socket pair, against a blocking OpenSSL client on another thread.
#include "tls/stream.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <csignal>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "../support.hpp"
#include "error.hpp"
#include "pki/authority.hpp"

namespace dockgate::tls {
namespace {
namespace fs = std::filesystem;

using ClientSsl = std::unique_ptr<SSL, decltype(&SSL_free)>;

// A server TlsStream on one end of a socket pair and, on a thread, a blocking OpenSSL client connected as
// DIR/clients/admin on the other, running `client` once its handshake is done.
class TlsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);  // a client whose server has gone gets EPIPE, not the end of the test binary
    pki::InitOptions options;
    options.layout = {tmp_ / "pki"};
    options.server.hosts = {"docker.example.com"};
    pki::init_pki(options);
    layout_ = options.layout;
    context_ = make_server_context({layout_.ca_cert().string(), (layout_.dir / "server-cert.pem").string(),
                                    (layout_.dir / "server-key.pem").string(), "", true});
  }
  // Runs `server` on a TlsStream after its handshake, with `client` on the other end; returns the
  // server's failure, if any.
  std::exception_ptr run(const std::function<void(SSL*, int fd)>& client,
                         const std::function<asio::awaitable<void>(TlsStream&)>& server,
                         asio::cancellation_signal* cancel = nullptr) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    int big = 1 << 20;  // room for every test's bytes before the server reads any (the kernel may halve it)
    EXPECT_EQ(::setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big), 0);
    std::thread peer([&, fd = fds[1]] {
      std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
      fs::path dir = layout_.client_dir("admin");
      EXPECT_EQ(SSL_CTX_use_certificate_chain_file(ctx.get(), (dir / "cert.pem").c_str()), 1);
      EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx.get(), (dir / "key.pem").c_str(), SSL_FILETYPE_PEM), 1);
      if (client_version_ != 0) {
        SSL_CTX_set_min_proto_version(ctx.get(), client_version_);
        SSL_CTX_set_max_proto_version(ctx.get(), client_version_);
      }
      ClientSsl ssl(SSL_new(ctx.get()), SSL_free);
      SSL_set_fd(ssl.get(), fd);
      if (SSL_connect(ssl.get()) == 1) client(ssl.get(), fd);
      ::close(fd);
    });

    asio::io_context io;
    net::Socket socket(io);
    socket.assign(asio::generic::stream_protocol(AF_UNIX, 0), fds[0]);
    TlsStream stream(std::move(socket), context_);
    std::exception_ptr failure;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await stream.handshake();
          co_await server(stream);
        },
        asio::bind_cancellation_slot(cancel != nullptr ? cancel->slot() : asio::cancellation_slot(),
                                     [&](std::exception_ptr e) { failure = e; }));
    io.run();
    stream.close();  // a client still waiting then sees the end
    peer.join();
    return failure;
  }

  testing::TempDir tmp_;
  pki::Layout layout_;
  Context context_;
  int client_version_ = 0;  // the client's only TLS version, or 0 for its defaults
};

// Reads until the server closes; returns the bytes read.
std::size_t read_everything(SSL* ssl) {
  std::size_t total = 0;
  std::string buf(65536, '\0');
  std::size_t n = 0;
  while (SSL_read_ex(ssl, buf.data(), buf.size(), &n) == 1) total += n;
  return total;
}

TEST_F(TlsStreamTest, ALongWriteLetsOtherConnectionsRunBetweenItsPieces) {
  // Two pieces and a byte: well under the socket's buffer, so the write never has to wait for the client,
  // and only a yield of its own lets the other handler run before it ends.
  const std::string block(std::size_t{128} * 1024 + 1, 'x');
  std::size_t received = 0;
  bool writing = false;
  bool ran_while_writing = false;
  auto failure = run([&](SSL* ssl, int) { received = read_everything(ssl); },
                     [&](TlsStream& server) -> asio::awaitable<void> {
                       asio::post(co_await asio::this_coro::executor, [&] { ran_while_writing = writing; });
                       writing = true;
                       co_await server.write(block);
                       writing = false;
                       co_await server.finish_sending();
                     });
  ASSERT_FALSE(failure);
  EXPECT_TRUE(ran_while_writing);
  EXPECT_EQ(received, block.size());
}

// 192 KiB in full records, all of it in the socket before the server reads: three times what read-ahead
// takes per read(2). The client first sends a greeting and waits until the server has read it, so that
// no record of the stream arrives with the handshake (which would leave OpenSSL holding some of it).
constexpr std::size_t kStreamed = std::size_t{192} * 1024;
constexpr std::string_view kGreeting = "hello";

struct Streaming {
  std::promise<void> greeted;
  std::promise<void> sent;

  // The client's side; `after` runs once the stream is in the socket, before `sent` is set.
  void send(SSL* ssl, int fd, const std::function<void(int fd)>& after = {}) {
    std::size_t n = 0;
    EXPECT_EQ(SSL_write_ex(ssl, kGreeting.data(), kGreeting.size(), &n), 1);
    greeted.get_future().wait();
    const std::string block(kStreamed, 'u');
    EXPECT_EQ(SSL_write_ex(ssl, block.data(), block.size(), &n), 1);
    if (after) after(fd);
    sent.set_value();
    char c;
    while (::read(fd, &c, 1) > 0) {  // until the server closes (as raw bytes: nothing to answer)
    }
  }

  // The server's side: reads the greeting, then waits for the stream.
  asio::awaitable<void> receive_greeting(TlsStream& server) {
    std::string greeting(kGreeting.size(), '\0');
    EXPECT_EQ(co_await server.read_some(greeting), kGreeting.size());
    greeted.set_value();
    sent.get_future().wait();
  }
};

TEST_F(TlsStreamTest, AStreamingClientIsReadInBlocksLargerThanReadAhead) {
  Streaming streaming;
  std::size_t first = 0;
  auto failure = run([&](SSL* ssl, int fd) { streaming.send(ssl, fd); },
                     [&](TlsStream& server) -> asio::awaitable<void> {
                       co_await streaming.receive_greeting(server);
                       std::string buffer(std::size_t{256} * 1024, '\0');
                       first = co_await server.read_some(buffer);
                       server.close();
                     });
  ASSERT_FALSE(failure) << testing::what(failure);
  EXPECT_EQ(first, kStreamed);  // in one read: not one read-ahead buffer's worth (64 KiB)
}

TEST_F(TlsStreamTest, AReaderCancelledWhileReadingOnKeepsWhatWasRead) {
  Streaming streaming;
  std::size_t first = 0;
  asio::cancellation_signal cancel;
  auto failure = run([&](SSL* ssl, int fd) { streaming.send(ssl, fd); },
                     [&](TlsStream& server) -> asio::awaitable<void> {
                       co_await streaming.receive_greeting(server);
                       std::string buffer(std::size_t{256} * 1024, '\0');
                       // Runs at read_some's first yield, after it has taken what one read(2) brought.
                       asio::post(co_await asio::this_coro::executor,
                                  [&] { cancel.emit(asio::cancellation_type::terminal); });
                       first = co_await server.read_some(buffer);
                       server.close();
                     },
                     &cancel);
  ASSERT_FALSE(failure) << testing::what(failure);
  EXPECT_GT(first, 0U);
  EXPECT_LT(first, kStreamed);
}

TEST_F(TlsStreamTest, AFailureFoundWhileReadingOnComesAfterTheBytesBeforeIt) {
  Streaming streaming;
  std::size_t first = 0;
  std::string failure_text;
  auto forge = [](int fd) {
    // An application-data record whose contents are not what it claims: its authentication fails.
    std::string forged("\x17\x03\x03\x01\x00", 5);
    forged.append(256, '\x5a');
    EXPECT_EQ(::write(fd, forged.data(), forged.size()), static_cast<ssize_t>(forged.size()));
  };
  auto failure = run([&](SSL* ssl, int fd) { streaming.send(ssl, fd, forge); },
                     [&](TlsStream& server) -> asio::awaitable<void> {
                       co_await streaming.receive_greeting(server);
                       std::string buffer(std::size_t{256} * 1024, '\0');
                       first = co_await server.read_some(buffer);
                       try {
                         co_await server.read_some(buffer);
                       } catch (const Error& e) {
                         failure_text = e.what();
                       }
                       server.close();
                     });
  ASSERT_FALSE(failure) << testing::what(failure);
  EXPECT_EQ(first, kStreamed);
  EXPECT_NE(failure_text.find("bad record mac"), std::string::npos) << failure_text;
}

// Both versions, and under TLS 1.3 a key update that the client asks the server to answer, so that each
// side's records change keys halfway.
TEST_F(TlsStreamTest, RecordsPassBothWaysUnderTls12AndTls13AndAcrossKeyUpdates) {
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SCOPED_TRACE(version == TLS1_2_VERSION ? "TLS 1.2" : "TLS 1.3");
    client_version_ = version;
    std::string sent(70001, '\0');
    for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>(i * 7 + i / 251);
    std::string echoed;
    int negotiated = 0;
    auto failure = run(
        [&](SSL* ssl, int) {
          negotiated = SSL_version(ssl);
          std::size_t n = 0;
          std::size_t half = sent.size() / 2;
          EXPECT_EQ(SSL_write_ex(ssl, sent.data(), half, &n), 1);
          if (negotiated == TLS1_3_VERSION) {
            EXPECT_EQ(SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED), 1);
          }
          EXPECT_EQ(SSL_write_ex(ssl, sent.data() + half, sent.size() - half, &n), 1);
          std::string buf(65536, '\0');
          while (echoed.size() < sent.size() && SSL_read_ex(ssl, buf.data(), buf.size(), &n) == 1) {
            echoed.append(buf.data(), n);
          }
        },
        [&](TlsStream& server) -> asio::awaitable<void> {
          std::string got, buffer(std::size_t{256} * 1024, '\0');
          while (got.size() < sent.size()) {
            std::size_t n = co_await server.read_some(buffer);
            if (n == 0) break;
            got.append(buffer.data(), n);
          }
          co_await server.write(got);
          co_await server.finish_sending();
        });
    ASSERT_FALSE(failure) << testing::what(failure);
    EXPECT_EQ(negotiated, version);
    EXPECT_EQ(echoed, sent);
  }
}

}  // namespace
}  // namespace dockgate::tls
