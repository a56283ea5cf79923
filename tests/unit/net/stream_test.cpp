// PlainStream on a socket pair: direct system calls, waits only when a call would block, and yields to
// other coroutines when a transfer never has to wait. And SocketDeadline, which bounds the TLS handshake.
#include "net/stream.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <string>

#include "../support.hpp"
#include "net/deadline.hpp"

namespace dockgate::net {
namespace {

struct Pair {
  explicit Pair(asio::io_context& io) : a(io), b(io) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    a.assign(asio::generic::stream_protocol(AF_UNIX, 0), fds[0]);
    b.assign(asio::generic::stream_protocol(AF_UNIX, 0), fds[1]);
  }
  Socket a, b;
};

template <typename F>
void run(asio::io_context& io, F body) {
  bool failed = false;
  asio::co_spawn(io, body(), [&](std::exception_ptr e) {
    if (e) {
      failed = true;
      ADD_FAILURE() << testing::what(e);
    }
  });
  io.run();
  EXPECT_FALSE(failed);
}

TEST(PlainStream, ReadsWhatTheOtherSideWritesAndZeroAtItsEnd) {
  asio::io_context io;
  Pair pair(io);
  PlainStream reader(std::move(pair.a)), writer(std::move(pair.b));
  run(io, [&]() -> asio::awaitable<void> {
    std::string got;
    std::array<char, 7> buf{};
    auto reading = [&]() -> asio::awaitable<void> {
      while (std::size_t n = co_await reader.read_some(buf)) got.append(buf.data(), n);
    };
    auto writing = [&]() -> asio::awaitable<void> {
      // More than a socket buffer holds: the writer must wait for the reader (backpressure), not fail.
      co_await writer.write(std::string(std::size_t{4} << 20, 'x'));
      co_await writer.write("end");
      co_await writer.finish_sending();
    };
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, writing(), asio::detached);
    co_await reading();
    EXPECT_EQ(got.size(), (std::size_t{4} << 20) + 3);
    EXPECT_EQ(got.substr(got.size() - 3), "end");
  });
}

TEST(PlainStream, AWriteToAClosedPeerThrows) {
  asio::io_context io;
  Pair pair(io);
  PlainStream stream(std::move(pair.a));
  pair.b.close();
  run(io, [&]() -> asio::awaitable<void> {
    EXPECT_THROW(co_await stream.write(std::string(1 << 20, 'x')), boost::system::system_error);
  });
}

TEST(PlainStream, ATransferThatNeverWaitsStillLetsOthersRun) {
  asio::io_context io;
  Pair pair(io);
  PlainStream reader(std::move(pair.a));
  // Enough bytes already queued that every read completes at once.
  std::string queued(std::size_t{128} * 1024, 'q');
  ASSERT_EQ(::send(pair.b.native_handle(), queued.data(), queued.size(), 0),
            static_cast<ssize_t>(queued.size()));
  int others_ran = 0;
  run(io, [&]() -> asio::awaitable<void> {
    asio::post(co_await asio::this_coro::executor, [&] { ++others_ran; });
    std::array<char, 1024> buf{};
    std::size_t total = 0;
    int reads = 0;
    while (total < queued.size() && others_ran == 0) {
      total += co_await reader.read_some(buf);
      ++reads;
    }
    EXPECT_EQ(others_ran, 1);
    EXPECT_LE(reads, 64);  // kYieldCalls
  });
}

using std::chrono::milliseconds;
using std::chrono::steady_clock;

asio::awaitable<void> sleep_for(milliseconds pause) {
  asio::steady_timer timer(co_await asio::this_coro::executor, pause);
  co_await timer.async_wait(asio::use_awaitable);
}

TEST(SocketDeadline, EndsAWaitThatOutlastsIt) {
  asio::io_context io;
  Pair pair(io);
  run(io, [&]() -> asio::awaitable<void> {
    auto start = steady_clock::now();
    SocketDeadline deadline(pair.a, milliseconds(50));
    EXPECT_THROW(co_await pair.a.async_wait(Socket::wait_read, asio::use_awaitable),
                 boost::system::system_error);
    EXPECT_TRUE(deadline.expired());
    EXPECT_GE(steady_clock::now() - start, milliseconds(50));
    EXPECT_LT(steady_clock::now() - start, milliseconds(5000));
  });
}

TEST(SocketDeadline, ReadsAfterItEndAtOnce) {
  // The deadline passes while the code is not waiting on the socket (a wait that completed as the timer
  // fired): the next read must not wait for the peer.
  asio::io_context io;
  Pair pair(io);
  run(io, [&]() -> asio::awaitable<void> {
    SocketDeadline deadline(pair.a, milliseconds(10));
    co_await sleep_for(milliseconds(50));
    EXPECT_TRUE(deadline.expired());
    char byte = 0;
    EXPECT_EQ(::recv(pair.a.native_handle(), &byte, 1, MSG_DONTWAIT), 0);
  });
}

TEST(SocketDeadline, OnceDestroyedLeavesTheSocketAlone) {
  asio::io_context io;
  Pair pair(io);
  run(io, [&]() -> asio::awaitable<void> {
    {
      SocketDeadline deadline(pair.a, milliseconds(10));
      EXPECT_FALSE(deadline.expired());
    }
    co_await sleep_for(milliseconds(50));
    EXPECT_EQ(::send(pair.b.native_handle(), "x", 1, 0), 1);
    co_await pair.a.async_wait(Socket::wait_read, asio::use_awaitable);
    char byte = 0;
    EXPECT_EQ(::recv(pair.a.native_handle(), &byte, 1, MSG_DONTWAIT), 1);
    EXPECT_EQ(byte, 'x');
  });
}

}  // namespace
}  // namespace dockgate::net
