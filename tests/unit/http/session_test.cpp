// A Session between a scripted client and a scripted engine, on unix sockets: the exact bytes that reach
// the engine, and those that reach the client, for the exchanges where a proxy goes wrong (a judged body,
// a chunked upload, pipelining, an upgrade, a retried request, a client that leaves mid-stream), as
// haproxy's reg-tests assert them.
#include "http/session.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "../peer.hpp"
#include "../support.hpp"
#include "authz/policy.hpp"
#include "net/engine.hpp"
#include "net/idle_engines.hpp"

namespace dockgate::http {
namespace {
using namespace std::chrono_literals;
using testing::read_to_end;
using testing::read_until;
using testing::send_all;

// The client's last move in most scenarios: it has nothing more to send, and reads the rest.
void finish_and_read_rest(int fd, std::string& got) {
  ::shutdown(fd, SHUT_WR);
  read_to_end(fd, got);
}

// The engine: a unix socket whose every accepted connection runs the next script, on a thread. Each
// connection records the bytes it received.
class ScriptedEngine {
 public:
  using Script = std::function<void(int fd, std::string& received)>;

  ScriptedEngine(const std::filesystem::path& path, std::vector<Script> scripts)
      : path_(path), received_(scripts.size()) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strncpy(sun.sun_path, path.c_str(), sizeof sun.sun_path - 1);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&sun), sizeof sun), 0);
    EXPECT_EQ(::listen(listener_, 8), 0);
    thread_ = std::thread([this, scripts = std::move(scripts)] {
      for (std::size_t i = 0; i < scripts.size(); ++i) {
        pollfd p{listener_, POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) return;
        int fd = ::accept(listener_, nullptr, nullptr);
        if (fd < 0) return;
        scripts[i](fd, received_[i]);
        ::close(fd);
        ++connections_;
      }
    });
  }
  ~ScriptedEngine() {
    if (thread_.joinable()) thread_.join();
    ::close(listener_);
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  // What connection `i` received (after join()).
  const std::string& received(std::size_t i) const { return received_[i]; }
  int connections() const { return connections_; }

 private:
  std::filesystem::path path_;
  int listener_ = -1;
  std::vector<std::string> received_;
  std::atomic<int> connections_ = 0;
  std::thread thread_;
};

// A Session on one end of a socket pair, run to its end on this thread's io_context, while `client` runs
// on a thread with the other end.
struct Rig {
  testing::TempDir tmp;
  std::filesystem::path socket = tmp / "engine.sock";
  boost::asio::io_context io;
  net::IdleEngines idle{io.get_executor(), 8, std::chrono::seconds(30)};
  std::shared_ptr<const authz::Policy> policy = authz::Policy::allow_all();
  tls::Identity identity = [] {
    tls::Identity id;
    id.common_name = "alice";
    id.peer = "test";
    return id;
  }();

  void run(const std::function<void(int client)>& client) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    net::Socket ours(io);
    ours.assign(boost::asio::generic::stream_protocol(AF_UNIX, 0), fds[0]);
    Upstream engine{net::parse_engine_address("unix://" + socket.string()), "unix://" + socket.string(),
                    &idle};
    SessionLimits limits;
    FromGateway gateway{[this] { return policy; },
                        [](const tls::Identity&, const authz::Policy&) { return std::string("{}\n"); }};
    auto session = std::make_shared<Session>(std::make_unique<net::PlainStream>(std::move(ours)), identity,
                                             engine, limits, gateway, nullptr);
    bool ended = false;
    boost::asio::co_spawn(io, session->run(), [&](std::exception_ptr) {
      ended = true;
      idle.close_all();  // connections left at rest go too, so that the engine's scripts see their end
    });
    std::thread peer([&] {
      client(fds[1]);
      ::close(fds[1]);
    });
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         !ended && std::chrono::steady_clock::now() < deadline;) {
      io.run_for(50ms);
    }
    peer.join();
    EXPECT_TRUE(ended) << "the session did not end";
  }
};

constexpr std::string_view kPong = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";

TEST(SessionWire, AJudgedBodyReachesTheEngineWholeWithItsLength) {
  Rig rig;
  rig.policy =
      authz::Policy::parse(R"({"bindings": [{"identities": ["alice"], "role": "operator"}]})", "p.json");
  ScriptedEngine engine(rig.socket, {[](int fd, std::string& got) {
                          read_until(fd, got, "}");
                          send_all(fd, "HTTP/1.1 201 Created\r\nContent-Length: 9\r\n\r\n{\"Id\":1}\n");
                          read_to_end(fd, got);
                        }});
  std::string answer;
  rig.run([&](int c) {
    // Chunked by the client, in two chunks: judged whole, it goes on with a Content-Length, in one piece.
    send_all(c,
             "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\n\r\n9\r\n{\"Image\":\r\na\r\n\"busybox\"}\r\n0\r\n\r\n");
    read_until(c, answer, "{\"Id\":1}\n");
    finish_and_read_rest(c, answer);
  });
  engine.join();
  EXPECT_EQ(engine.received(0),
            "POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
            "Content-Length: 19\r\n\r\n{\"Image\":\"busybox\"}");
  EXPECT_EQ(answer, "HTTP/1.1 201 Created\r\nContent-Length: 9\r\n\r\n{\"Id\":1}\n");
}

TEST(SessionWire, AChunkedUploadGoesOnChunkedAndTheNextRequestFollows) {
  Rig rig;
  ScriptedEngine engine(rig.socket, {[](int fd, std::string& got) {
                          read_until(fd, got, "0\r\n\r\n");
                          send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nload");
                          read_until(fd, got, "\r\n\r\nGET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
                          send_all(fd, kPong);
                          read_to_end(fd, got);
                        }});
  std::string answer;
  rig.run([&](int c) {
    send_all(c,
             "POST /v1.41/images/load HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    read_until(c, answer, "load");
    send_all(c, "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
    read_until(c, answer, "OK");
    finish_and_read_rest(c, answer);
  });
  engine.join();
  EXPECT_EQ(engine.received(0),
            "POST /v1.41/images/load HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
            "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
  EXPECT_EQ(answer, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nload" + std::string(kPong));
  EXPECT_EQ(engine.connections(), 1);
}

TEST(SessionWire, PipelinedRequestsAreAnsweredInOrderOnOneEngineConnection) {
  Rig rig;
  ScriptedEngine engine(rig.socket, {[](int fd, std::string& got) {
                          read_until(fd, got, "/info");
                          send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ninfo");
                          read_until(fd, got, "/version HTTP/1.1\r\nHost: docker\r\n\r\n");
                          send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nversion");
                          read_to_end(fd, got);
                        }});
  std::string answer;
  rig.run([&](int c) {
    send_all(c,
             "GET /v1.41/info HTTP/1.1\r\nHost: docker\r\n\r\nGET /v1.41/version HTTP/1.1\r\nHost: "
             "docker\r\n\r\n");
    read_until(c, answer, "version");
    finish_and_read_rest(c, answer);
  });
  engine.join();
  // Both heads reach the engine on one connection, in order, and the answers come back in that order.
  EXPECT_EQ(
      engine.received(0),
      "GET /v1.41/info HTTP/1.1\r\nHost: docker\r\n\r\nGET /v1.41/version HTTP/1.1\r\nHost: docker\r\n\r\n");
  EXPECT_EQ(answer,
            "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ninfo"
            "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nversion");
}

TEST(SessionWire, AnUpgradeBecomesATunnelCarryingBothDirections) {
  Rig rig;
  ScriptedEngine engine(rig.socket, {[](int fd, std::string& got) {
                          read_until(fd, got, "\r\n\r\n");
                          send_all(
                              fd,
                              "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
                              "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\nfrom the container");
                          read_until(fd, got, "to the container");
                          ::shutdown(fd, SHUT_WR);
                          read_to_end(fd, got);
                        }});
  std::string answer;
  rig.run([&](int c) {
    send_all(c,
             "POST /v1.41/containers/abc/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: docker\r\n"
             "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
    read_until(c, answer, "from the container");
    send_all(c, "to the container");
    finish_and_read_rest(c, answer);
  });
  engine.join();
  EXPECT_EQ(engine.received(0),
            "POST /v1.41/containers/abc/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: docker\r\n"
            "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\nto the container");
  EXPECT_EQ(answer,
            "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
            "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\nfrom the container");
}

TEST(SessionWire, ABodilessRequestWhoseKeptConnectionFailsIsSentOnceMoreOnANewOne) {
  Rig rig;
  ScriptedEngine engine(rig.socket, {[](int fd, std::string& got) {
                                       read_until(fd, got, "/_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
                                       send_all(fd, kPong);
                                       // The next request arrives, and the engine goes (a restart).
                                       read_until(fd, got, "/info");
                                     },
                                     [](int fd, std::string& got) {
                                       read_until(fd, got, "\r\n\r\n");
                                       send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ninfo");
                                       read_to_end(fd, got);
                                     }});
  std::string answer;
  rig.run([&](int c) {
    send_all(c, "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
    read_until(c, answer, "OK");
    send_all(c, "GET /v1.41/info HTTP/1.1\r\nHost: docker\r\n\r\n");
    read_until(c, answer, "info");
    finish_and_read_rest(c, answer);
  });
  engine.join();
  EXPECT_EQ(engine.received(0),
            "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\nGET /v1.41/info HTTP/1.1\r\nHost: docker\r\n\r\n");
  EXPECT_EQ(engine.received(1), "GET /v1.41/info HTTP/1.1\r\nHost: docker\r\n\r\n");
  EXPECT_EQ(answer, std::string(kPong) + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ninfo");
}

TEST(SessionWire, AClientThatLeavesASilentStreamEndsTheEngineConnectionAtOnce) {
  Rig rig;
  bool engine_saw_the_end = false;
  ScriptedEngine engine(rig.socket, {[&](int fd, std::string& got) {
                          read_until(fd, got, "\r\n\r\n");
                          send_all(fd,
                                   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nevent1\r\n");
                          // Then silence, as `docker events` has between events: the client's leaving
                          // must still reach the engine, which is how dockerd learns to stop.
                          engine_saw_the_end = read_to_end(fd, got);
                        }});
  std::string answer;
  rig.run([&](int c) {
    send_all(c, "GET /v1.41/events HTTP/1.1\r\nHost: docker\r\n\r\n");
    read_until(c, answer, "event1\r\n");
    ::shutdown(c, SHUT_RDWR);
  });
  engine.join();
  EXPECT_TRUE(engine_saw_the_end);
  EXPECT_EQ(engine.received(0), "GET /v1.41/events HTTP/1.1\r\nHost: docker\r\n\r\n");
  EXPECT_EQ(answer, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nevent1\r\n");
}

TEST(SessionWire, TheGatewaysOwnAnswerIsFramedHereAndNeverReachesTheEngine) {
  Rig rig;
  ScriptedEngine engine(rig.socket, {});
  std::string answer;
  rig.run([&](int c) {
    send_all(c, "GET /v1.41/_dockgate/whoami HTTP/1.1\r\nHost: docker\r\n\r\n");
    read_until(c, answer, "{}\n");
    send_all(c, "HEAD /_dockgate/whoami HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n");
    read_to_end(c, answer);
  });
  engine.join();
  EXPECT_EQ(engine.connections(), 0);
  EXPECT_EQ(
      answer,
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n{}\n"
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\nConnection: close\r\n\r\n");
}

TEST(SessionWire, ADeniedHeadIsAnsweredWithoutABodyAndTheConnectionGoesOn) {
  // docker cp asks HEAD of a path before its PUT, on the same connection: a body after the denial's head
  // would be read as the start of the next answer.
  Rig rig;
  rig.policy =
      authz::Policy::parse(R"({"bindings": [{"identities": ["alice"], "role": "monitor"}]})", "p.json");
  ScriptedEngine engine(rig.socket, {});
  std::string answer;
  rig.run([&](int c) {
    send_all(c, "HEAD /v1.41/containers/x/archive?path=/ HTTP/1.1\r\nHost: docker\r\n\r\n");
    send_all(c, "GET /_dockgate/whoami HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n");
    read_to_end(c, answer);
  });
  engine.join();
  EXPECT_EQ(engine.connections(), 0);
  ASSERT_EQ(answer.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u) << answer;
  const std::size_t head_end = answer.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_NE(answer.substr(0, head_end).find("Content-Length: "),
            std::string::npos);  // the length it would have
  EXPECT_EQ(answer.substr(head_end + 4),
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\nConnection: "
            "close\r\n\r\n{}\n");
}

}  // namespace
}  // namespace dockgate::http
