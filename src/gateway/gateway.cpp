// Accepting and shutting down. A connection's path from here: accept → TCP_NODELAY → (TLS listeners) a
// peek for plain HTTP, the handshake under a timeout, the verified identity → http::Session.
#include "gateway/gateway.hpp"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <list>
#include <set>

#include "gateway/whoami.hpp"
#include "net/deadline.hpp"
#include "net/fd.hpp"
#include "obs/log.hpp"
#include "obs/notify.hpp"
#include "tls/stream.hpp"

namespace dockgate::gateway {
namespace {

namespace asio = boost::asio;
using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;

// Go's net/http answer to plain HTTP on a TLS port (server.go); docker clients recognise it and add their
// "Are you trying to connect to a TLS-enabled daemon without TLS?" hint.
constexpr std::string_view kPlainHttpAnswer =
    "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

std::string peer_text(int fd, bool is_unix) {
  if (is_unix) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      return "unix uid=" + std::to_string(cred.uid) + " pid=" + std::to_string(cred.pid);
    }
    return "unix";
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  char host[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
  ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
  return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
}

class Gateway {
 public:
  explicit Gateway(Options options)
      : options_(std::move(options)), signals_(io_, SIGINT, SIGTERM), hup_(io_, SIGHUP) {
    options_.upstream.idle = &idle_engines_;
  }

  void run() {
    for (const auto& l : options_.listeners) {
      int protocol = l.is_unix ? 0 : IPPROTO_TCP;
      auto& acceptor = acceptors_.emplace_back(io_, asio::generic::stream_protocol(l.family, protocol), l.fd);
      asio::co_spawn(io_, accept_loop(acceptor, l), asio::detached);
      obs::log(
          obs::Level::info, "listening",
          {{"address", l.name}, {"tls", use_tls(l) ? "mutual" : "off"}, {"engine", options_.upstream.text}});
    }
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (!ec) shut_down(signal);
    });
    wait_for_hup();
    if (!options_.watched.empty()) asio::co_spawn(io_, watch_files(), asio::detached);
    obs::notify_ready();
    io_.run();
  }

 private:
  bool use_tls(const net::Listener& l) const { return options_.tls && !l.is_unix; }

  void wait_for_hup() {
    hup_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      if (options_.audit) options_.audit->reopen();
      reload("SIGHUP");
      wait_for_hup();
    });
  }

  // Fail closed: a new file that does not load leaves the old configuration in force, never none.
  void reload(const std::string& why) {
    if (!options_.reload) return;
    try {
      Generation loaded = options_.reload();
      if (options_.tls) options_.tls = loaded.tls;
      options_.policy = loaded.policy;
      obs::log(obs::Level::info, "reloaded TLS files and policy",
               {{"trigger", why}, {"files", loaded.described}});
    } catch (const std::exception& e) {
      obs::log(obs::Level::error, "reload failed; the previous configuration stays in force",
               {{"trigger", why}, {"cause", e.what()}});
    }
  }

  // Modification times of the watched files, to notice replaced certificates, a new CRL or policy.
  std::string stamps() const {
    std::string out;
    for (const auto& path : options_.watched) {
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0) {
        out += std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "/" +
               std::to_string(st.st_ino) + "/" + std::to_string(st.st_size);
      }
      out += ';';
    }
    return out;
  }

  asio::awaitable<void> watch_files() {
    std::string last = stamps();
    while (!stopping_) {
      watch_timer_.expires_after(options_.watch_interval);
      auto [ec] = co_await watch_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || stopping_) co_return;
      std::string now = stamps();
      if (now != last) {
        last = now;
        reload("a watched file changed");
      }
    }
  }

  asio::awaitable<void> accept_loop(Acceptor& acceptor, const net::Listener& listener) {
    asio::steady_timer backoff(io_);
    std::chrono::steady_clock::time_point last_logged{};
    std::uint64_t failed_since_logged = 0;
    while (true) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        // Out of descriptors or memory: pause and go on rather than spin, and say so once per 10 s (not at
        // every retry), naming the limit to raise. Established connections go on being served.
        ++failed_since_logged;
        auto now = std::chrono::steady_clock::now();
        if (now - last_logged >= std::chrono::seconds(10)) {
          std::string exhausted = net::descriptors_exhausted(ec.value());
          obs::log(obs::Level::warn, "accept failed",
                   {{"address", listener.name},
                    {"cause", exhausted.empty() ? ec.message() : exhausted},
                    {"failures", failed_since_logged}});
          last_logged = now;
          failed_since_logged = 0;
        }
        backoff.expires_after(std::chrono::milliseconds(100));
        co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      asio::co_spawn(io_, serve(std::move(socket), listener), asio::detached);
    }
  }

  // The TLS handshake, or the answer to plain HTTP, or giving up: returns the stream, or nullptr once the
  // connection is done with. A coroutine of its own so that its deadline and strings are freed after the
  // handshake instead of living in the frame of every idle connection.
  asio::awaitable<std::unique_ptr<net::Stream>> open_tls(net::Socket socket, tls::Identity& identity) {
    auto tls = std::make_unique<tls::TlsStream>(std::move(socket), options_.tls);
    // Known to shut_down(), which closes a connection still opening at once: it carries no request yet.
    struct Opening {
      std::set<tls::TlsStream*>& all;
      tls::TlsStream* stream;
      ~Opening() { all.erase(stream); }
    } opening_guard{opening_, tls.get()};
    opening_.insert(tls.get());
    std::string failure;
    auto opening = tls::TlsStream::Opening::closed;
    try {
      net::SocketDeadline deadline(tls->socket(), options_.handshake_timeout);
      try {
        opening = co_await tls->peek_opening();
        if (opening == tls::TlsStream::Opening::tls) co_await tls->handshake();
      } catch (const std::exception&) {
        if (!deadline.expired()) throw;
      }
      // Also when the handshake ended just as the deadline passed: its reading side is shut down.
      if (deadline.expired()) {
        failure = "no TLS handshake within " + std::to_string(options_.handshake_timeout.count()) + " s";
      }
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!failure.empty() && stopping_) {
      obs::log(obs::Level::debug, "closed before its TLS handshake ended: shutting down",
               {{"client", identity.peer}});
      co_return nullptr;
    }
    if (!failure.empty()) {
      obs::log(obs::Level::info, "TLS handshake failed", {{"client", identity.peer}, {"cause", failure}});
      // Under TLS 1.3 the client has already sent its first request when we refuse its certificate;
      // closing with those bytes unread would reset the connection and lose our alert, so the client
      // would see "connection reset" instead of "certificate revoked". Finish sending, drain, then close.
      net::PlainStream rest(std::move(tls->socket()));
      co_await net::close_gently(rest, std::size_t{64} << 10, std::chrono::seconds(1));
      co_return nullptr;
    }
    if (opening == tls::TlsStream::Opening::closed) {
      obs::log(obs::Level::debug, "connection closed before a TLS handshake", {{"client", identity.peer}});
      co_return nullptr;
    }
    if (opening == tls::TlsStream::Opening::plain_http) {
      obs::log(obs::Level::info, "plain HTTP on a TLS listener refused", {{"client", identity.peer}});
      net::PlainStream plain_stream(std::move(tls->socket()));
      try {
        co_await plain_stream.write(kPlainHttpAnswer);
      } catch (const std::exception&) {
        co_return nullptr;  // the client left without reading the answer
      }
      co_await net::close_gently(plain_stream, 1 << 20, std::chrono::seconds(2));
      co_return nullptr;
    }
    tls->describe_peer(identity);
    co_return tls;
  }

  asio::awaitable<void> serve(net::Socket socket, const net::Listener& listener) {
    tls::Identity identity;
    identity.peer = peer_text(socket.native_handle(), listener.is_unix);
    identity.local = listener.is_unix;
    if (!listener.is_unix) {
      int on = 1;
      ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    std::unique_ptr<net::Stream> stream;
    if (use_tls(listener)) {
      stream = co_await open_tls(std::move(socket), identity);
      if (!stream) {
        end_if_idle();
        co_return;
      }
    } else {
      stream = std::make_unique<net::PlainStream>(std::move(socket));
    }

    obs::log(obs::Level::info, "connection", {{"client", identity.text()}, {"listener", listener.name}});
    http::Session session(std::move(stream), std::move(identity), options_.upstream, options_.limits,
                          {[this] { return options_.policy; }, whoami_body}, options_.audit.get());
    sessions_.insert(&session);
    if (stopping_) session.stop();
    co_await session.run();
    sessions_.erase(&session);
    give_memory_back();
    end_if_idle();
  }

  // After a burst of connections (a flood, a CI fan-out) glibc keeps the freed memory for reuse: 128 MB
  // after 4,000 connections against 32 MB trimmed. Once the count has fallen to a quarter of a peak of at
  // least 256, the free memory goes back to the system, and again at each further quarter; once the last
  // connection of such a burst is gone, a final time (the quarter it fell to was otherwise kept). An
  // ordinary client's connection never pays for it.
  void give_memory_back() {
    peak_sessions_ = std::max(peak_sessions_, sessions_.size() + 1);
    bool quarter = peak_sessions_ >= 256 && sessions_.size() * 4 <= peak_sessions_;
    bool last = burst_trimmed_ && sessions_.empty();
    if (quarter || last) {
      ::malloc_trim(0);
      peak_sessions_ = sessions_.size();
      burst_trimmed_ = !sessions_.empty();
    }
  }

  void shut_down(int signal) {
    obs::notify_stopping();
    obs::log(obs::Level::info, "shutting down",
             {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}, {"open_connections", sessions_.size()}});
    stopping_ = true;
    for (auto& a : acceptors_) {
      boost::system::error_code ignored;
      a.close(ignored);
    }
    net::remove_socket_files(options_.listeners);  // now, not after the drain (listeners.hpp)
    for (auto* s : sessions_) s->stop();
    for (auto* t : opening_) {
      boost::system::error_code ignored;
      t->socket().close(ignored);  // its handshake fails at once and the connection ends
    }
    idle_engines_.close_all();
    hup_.cancel();
    watch_timer_.cancel();
    // A second signal means now.
    signals_.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) io_.stop();
    });
    deadline_.expires_after(options_.shutdown_timeout);
    deadline_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      obs::log(obs::Level::warn, "shutdown deadline passed; closing connections still in use",
               {{"open_connections", sessions_.size()}});
      io_.stop();
    });
    end_if_idle();
  }

  // Once shutting down, when no connection is left (sessions and handshakes alike), stops waiting for a
  // second signal and for the deadline, so that the event loop runs out. Before that a second signal
  // still exits at once.
  void end_if_idle() {
    if (stopping_ && sessions_.empty() && opening_.empty()) let_loop_run_out();
  }

  void let_loop_run_out() {
    signals_.cancel();
    deadline_.cancel();
  }

  Options options_;
  asio::io_context io_{1};
  asio::signal_set signals_, hup_;
  asio::steady_timer deadline_{io_};
  asio::steady_timer watch_timer_{io_};
  std::list<Acceptor> acceptors_;
  std::set<http::Session*> sessions_;
  std::set<tls::TlsStream*> opening_;  // connections in their TLS handshake
  std::size_t peak_sessions_ = 0;      // the most sessions at once since memory was last given back
  bool burst_trimmed_ = false;         // given back during a burst whose last connections are still open
  // Engine connections finished clients left at rest: 8 at most, each for at most 30 s. Go's HTTP client
  // keeps 2 per host for 90 s; a gateway serving many short-lived CLI connections wants a few more.
  net::IdleEngines idle_engines_{io_.get_executor(), 8, std::chrono::seconds(30)};
  bool stopping_ = false;
};

}  // namespace

void run(Options options) {
  // OpenSSL writes with write(2): a client gone mid-response must be an EPIPE error, not a fatal signal.
  static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
  Gateway(std::move(options)).run();
}

}  // namespace dockgate::gateway
