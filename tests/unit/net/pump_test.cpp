// The tunnel on socket pairs: bytes already read go first, each direction's end is passed on as a
// half-close, the counts are the bytes moved, and a client that never finishes is closed after its grace.
#include "net/pump.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "../peer.hpp"
#include "../support.hpp"

namespace dockgate::net {
namespace {
using namespace std::chrono_literals;

// Our end of a socket pair as a PlainStream; the other end a blocking descriptor for the test's peer.
struct Pair {
  std::unique_ptr<Stream> ours;
  int theirs = -1;
  explicit Pair(asio::io_context& io) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    Socket s(io);
    s.assign(asio::generic::stream_protocol(AF_UNIX, 0), fds[0]);
    ours = std::make_unique<PlainStream>(std::move(s));
    theirs = fds[1];
  }
  ~Pair() { ::close(theirs); }
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
};

struct Result {
  bool done = false;
  std::exception_ptr failure;
  TunnelBytes bytes;
};

void run_until_done(asio::io_context& io, const Result& r, std::chrono::seconds limit) {
  for (auto end = std::chrono::steady_clock::now() + limit;
       !r.done && std::chrono::steady_clock::now() < end;) {
    io.run_for(20ms);
  }
}

TEST(Tunnel, BufferedBytesGoFirstAndEachEndIsPassedOn) {
  asio::io_context io;
  Pair client(io), engine(io);
  Buffer from_client(1024), from_engine(1024);
  auto put = [](Buffer& b, std::string_view text) {
    std::span<char> space = b.space();
    std::copy(text.begin(), text.end(), space.begin());
    b.commit(text.size());
  };
  put(from_client, "read with the head;");  // bytes the session read past the last head
  put(from_engine, "sent with the 101;");
  Result r;
  asio::co_spawn(io, tunnel(*client.ours, from_client, *engine.ours, from_engine, 30s),
                 [&](std::exception_ptr e, TunnelBytes b) {
                   r = {true, e, b};
                 });
  std::string engine_got, client_got;
  std::thread engine_side([&] {
    EXPECT_TRUE(testing::send_all(engine.theirs, " output"));
    ::shutdown(engine.theirs, SHUT_WR);  // the container's output ended; its stdin is still open
    testing::read_to_end(engine.theirs, engine_got);
  });
  std::thread client_side([&] {
    EXPECT_TRUE(testing::send_all(client.theirs, " stdin"));
    ::shutdown(client.theirs, SHUT_WR);  // `echo hi | docker run -i`: stdin ends
    testing::read_to_end(client.theirs, client_got);
  });
  run_until_done(io, r, 10s);
  engine_side.join();
  client_side.join();
  ASSERT_TRUE(r.done);
  EXPECT_FALSE(r.failure) << testing::what(r.failure);
  EXPECT_EQ(engine_got, "read with the head; stdin");
  EXPECT_EQ(client_got, "sent with the 101; output");
  EXPECT_EQ(r.bytes.client_to_engine, engine_got.size());
  EXPECT_EQ(r.bytes.engine_to_client, client_got.size());
}

TEST(Tunnel, AClientThatNeverFinishesIsClosedAfterItsGrace) {
  asio::io_context io;
  Pair client(io), engine(io);
  Buffer from_client(1024), from_engine(1024);
  Result r;
  auto start = std::chrono::steady_clock::now();
  asio::co_spawn(io, tunnel(*client.ours, from_client, *engine.ours, from_engine, 1s),
                 [&](std::exception_ptr e, TunnelBytes b) {
                   r = {true, e, b};
                 });
  std::string client_got;
  std::thread engine_side([&] {
    EXPECT_TRUE(testing::send_all(engine.theirs, "exited"));
    ::shutdown(engine.theirs, SHUT_WR);
  });
  std::thread client_side(
      [&] { testing::read_to_end(client.theirs, client_got); });  // reads, never half-closes
  run_until_done(io, r, 10s);
  engine_side.join();
  client_side.join();
  ASSERT_TRUE(r.done);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 5s);
  EXPECT_TRUE(r.failure);  // the client's side was closed under its pump
  EXPECT_EQ(client_got, "exited");
}

}  // namespace
}  // namespace dockgate::net
