// TlsStream on a socket pair, against a blocking OpenSSL client on another thread.
#include "tls/stream.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "../support.hpp"
#include "pki/authority.hpp"

namespace dockgate::tls {
namespace {
namespace fs = std::filesystem;

// Connects as DIR/clients/admin over `fd` and reads until the server closes; returns the bytes read.
std::size_t read_everything(int fd, const fs::path& client_dir) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  EXPECT_EQ(SSL_CTX_use_certificate_chain_file(ctx.get(), (client_dir / "cert.pem").c_str()), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx.get(), (client_dir / "key.pem").c_str(), SSL_FILETYPE_PEM), 1);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  SSL_set_fd(ssl.get(), fd);
  if (SSL_connect(ssl.get()) != 1) return 0;
  std::size_t total = 0;
  std::string buf(65536, '\0');
  std::size_t n = 0;
  while (SSL_read_ex(ssl.get(), buf.data(), buf.size(), &n) == 1) total += n;
  return total;
}

TEST(TlsStream, ALongWriteLetsOtherConnectionsRunBetweenItsPieces) {
  testing::TempDir tmp;
  pki::InitOptions options;
  options.layout = {tmp / "pki"};
  options.server.hosts = {"docker.example.com"};
  pki::init_pki(options);
  const pki::Layout& layout = options.layout;
  Context context = make_server_context({layout.ca_cert().string(), (layout.dir / "server-cert.pem").string(),
                                         (layout.dir / "server-key.pem").string(), "", true});

  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  std::size_t received = 0;
  std::thread client([&] {
    received = read_everything(fds[1], layout.client_dir("admin"));
    ::close(fds[1]);
  });

  asio::io_context io;
  net::Socket socket(io);
  socket.assign(asio::generic::stream_protocol(AF_UNIX, 0), fds[0]);
  TlsStream server(std::move(socket), context);
  // Two pieces and a byte: well under the socket's buffer, so the write never has to wait for the client,
  // and only a yield of its own lets the other handler run before it ends.
  const std::string block(std::size_t{128} * 1024 + 1, 'x');
  bool writing = false;
  bool ran_while_writing = false;
  std::exception_ptr failure;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await server.handshake();
        asio::post(co_await asio::this_coro::executor, [&] { ran_while_writing = writing; });
        writing = true;
        co_await server.write(block);
        writing = false;
        co_await server.finish_sending();
      },
      [&](std::exception_ptr e) { failure = e; });
  io.run();
  server.close();  // a client still waiting then sees the end
  client.join();
  ASSERT_FALSE(failure);
  EXPECT_TRUE(ran_while_writing);
  EXPECT_EQ(received, block.size());
}

}  // namespace
}  // namespace dockgate::tls
