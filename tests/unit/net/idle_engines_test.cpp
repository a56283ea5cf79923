// IdleEngines on socket pairs: what it hands out again, and what it closes instead.
#include "net/idle_engines.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <thread>
#include <vector>

namespace dockgate::net {
namespace {

// An engine connection (our end, as a PlainStream) and the engine's end as a plain descriptor.
struct EngineEnd {
  std::unique_ptr<Stream> ours;
  int theirs = -1;
  Stream* raw = nullptr;
};

EngineEnd connection(asio::io_context& io) {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  Socket s(io);
  s.assign(asio::generic::stream_protocol(AF_UNIX, 0), fds[0]);
  EngineEnd e;
  e.ours = std::make_unique<PlainStream>(std::move(s));
  e.raw = e.ours.get();
  e.theirs = fds[1];
  return e;
}

// Whether the engine's end sees our end closed without waiting: an end of stream, or a reset when our end
// was closed with bytes unread.
bool closed_by_us(int theirs) {
  char c;
  ssize_t n = ::recv(theirs, &c, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

TEST(IdleEngines, HandsBackTheMostRecentQuietConnection) {
  asio::io_context io;
  IdleEngines idle(io.get_executor(), 8, std::chrono::seconds(30));
  EXPECT_EQ(idle.take(), nullptr);
  EngineEnd a = connection(io), b = connection(io);
  idle.give(std::move(a.ours));
  idle.give(std::move(b.ours));
  EXPECT_EQ(idle.take().get(), b.raw);
  EXPECT_EQ(idle.take().get(), a.raw);
  EXPECT_EQ(idle.take(), nullptr);
  ::close(a.theirs);
  ::close(b.theirs);
}

// The engine closed it (a restart), or wrote bytes nobody asked for: neither may carry a request.
TEST(IdleEngines, ClosedOrTalkingConnectionsAreClosedNotHandedOut) {
  asio::io_context io;
  IdleEngines idle(io.get_executor(), 8, std::chrono::seconds(30));
  EngineEnd quiet = connection(io), gone = connection(io), talking = connection(io);
  idle.give(std::move(quiet.ours));
  idle.give(std::move(gone.ours));
  idle.give(std::move(talking.ours));
  ::close(gone.theirs);
  ASSERT_EQ(::write(talking.theirs, "HTTP/1.1 200 OK\r\n", 17), 17);
  std::unique_ptr<Stream> got = idle.take();
  EXPECT_EQ(got.get(), quiet.raw);
  EXPECT_EQ(idle.size(), 0U);
  // The talking one was closed on the way; its peer sees the end.
  EXPECT_TRUE(closed_by_us(talking.theirs));
  ::close(quiet.theirs);
  ::close(talking.theirs);
}

TEST(IdleEngines, WhenFullTheOneIdleLongestIsClosed) {
  asio::io_context io;
  IdleEngines idle(io.get_executor(), 2, std::chrono::seconds(30));
  std::vector<EngineEnd> ends;
  for (int i = 0; i < 3; ++i) ends.push_back(connection(io));
  for (auto& e : ends) idle.give(std::move(e.ours));
  EXPECT_EQ(idle.size(), 2U);
  EXPECT_TRUE(closed_by_us(ends[0].theirs));
  EXPECT_FALSE(closed_by_us(ends[1].theirs));
  for (auto& e : ends) ::close(e.theirs);
}

// Expired connections are closed by the timer even when nobody takes or gives another.
TEST(IdleEngines, ExpiredConnectionsAreClosedByTheTimer) {
  asio::io_context io;
  IdleEngines idle(io.get_executor(), 8, std::chrono::milliseconds(50));
  EngineEnd e = connection(io);
  idle.give(std::move(e.ours));
  EXPECT_FALSE(closed_by_us(e.theirs));
  io.run_for(std::chrono::milliseconds(300));
  EXPECT_EQ(idle.size(), 0U);
  EXPECT_TRUE(closed_by_us(e.theirs));
  ::close(e.theirs);
}

TEST(IdleEngines, AfterCloseAllNothingIsKept) {
  asio::io_context io;
  IdleEngines idle(io.get_executor(), 8, std::chrono::seconds(30));
  EngineEnd a = connection(io), b = connection(io);
  idle.give(std::move(a.ours));
  idle.close_all();
  EXPECT_TRUE(closed_by_us(a.theirs));
  idle.give(std::move(b.ours));  // a session ending during shutdown
  EXPECT_EQ(idle.size(), 0U);
  EXPECT_TRUE(closed_by_us(b.theirs));
  EXPECT_EQ(idle.take(), nullptr);
  ::close(a.theirs);
  ::close(b.theirs);
}

}  // namespace
}  // namespace dockgate::net
