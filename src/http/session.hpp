// One client connection after its transport is up: read a request head, check it, forward it to the
// engine, relay the two bodies (concurrently, so /build can answer while its upload continues), and either
// take the next request or, after a 101 or a raw stream, become a tunnel.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "config/listen_address.hpp"
#include "net/buffer.hpp"
#include "net/idle_engines.hpp"
#include "net/stream.hpp"
#include "tls/identity.hpp"

namespace dockgate::authz {
class Policy;
}
namespace dockgate::audit {
class Sink;
}

namespace dockgate::http {

struct Framing;

struct SessionLimits {
  std::size_t head_limit = std::size_t{64} * 1024;  // request head bytes (haproxy's default buffer is 16 KiB)
  // Per direction, allocated only while bytes move. A bulk transfer moves up to this much per read(2) from
  // the engine and per send(2) to the client: a tenth to a fifth less CPU per GB than with 64 KiB
  // (bench/RESULTS.md step 22). TlsStream::write still yields every 64 KiB, for fairness.
  std::size_t buffer_size = std::size_t{256} * 1024;
  std::chrono::seconds head_timeout{30};  // from a head's first byte to its end
  std::chrono::seconds client_grace{30};  // tunnel: the client's time to finish after the engine has
};

// The engine as a session reaches it: its address (--upstream) and the connections other clients left at
// rest there.
struct Upstream {
  config::ListenAddress address;
  std::string text;                  // as configured, for messages
  net::IdleEngines* idle = nullptr;  // connections other clients left at rest; none if null
};

// What a session asks the gateway for, anew for each request (a reload changes the answers): what is not
// HTTP stays out of the HTTP layer.
struct FromGateway {
  std::function<std::shared_ptr<const authz::Policy>()> policy;  // the policy in force now
  // The JSON body of GET /_dockgate/whoami for this client under that policy (gateway/whoami.hpp).
  std::function<std::string(const tls::Identity&, const authz::Policy&)> whoami;
};

class Session {
 public:
  // `audit`, when not null, gets one event per request.
  Session(std::unique_ptr<net::Stream> client, tls::Identity identity, const Upstream& upstream,
          const SessionLimits& limits, FromGateway gateway, audit::Sink* audit);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Serves requests until the client leaves, a response ends the connection, or stop() is called.
  // Never throws: failures end the connection and are logged.
  boost::asio::awaitable<void> run();

  // At shutdown: a connection waiting for its next request closes now; one in the middle of an exchange
  // (or a tunnel) finishes it first, then closes.
  void stop();

  struct Outcome;  // what an exchange came to: public only so that the audit record (session.cpp) can name it

 private:
  struct Exchange;
  struct Relay;
  boost::asio::awaitable<bool> read_head(std::string& head);
  boost::asio::awaitable<bool> exchange(const std::string& raw_head);
  // The steps of an exchange (session.cpp says what each takes, leaves and returns).
  boost::asio::awaitable<bool> admit(Exchange& x);
  boost::asio::awaitable<bool> forward(Exchange& x, Relay& relay);
  boost::asio::awaitable<bool> connect(Exchange& x);
  boost::asio::awaitable<void> relay_exchange(Exchange& x, Relay& relay);
  boost::asio::awaitable<void> relay_response(Exchange& x, Relay& relay, bool request_body_pending);
  boost::asio::awaitable<bool> finish(Exchange& x, const Relay& relay);
  boost::asio::awaitable<void> respond_error(int status, const std::string& message);
  boost::asio::awaitable<std::pair<int, std::string>> ask_engine(const std::string& path);
  boost::asio::awaitable<std::string> read_body_start(const Framing& framing, std::size_t want);
  boost::asio::awaitable<void> relay_response_body(const Framing& body, std::uint64_t& relayed);
  boost::asio::awaitable<void> client_left();
  boost::asio::awaitable<void> watch_client(bool& answered, boost::asio::steady_timer& answered_signal);

  std::unique_ptr<net::Stream> client_;
  FromGateway gateway_;
  audit::Sink* audit_;
  std::unique_ptr<net::Stream> engine_;
  tls::Identity identity_;
  const Upstream& upstream_;
  SessionLimits limits_;
  net::Buffer from_client_, from_engine_;
  bool idle_ = false, stopping_ = false;
  bool engine_at_rest_ = false;  // engine_'s last response was read to its end and it stays open
};

}  // namespace dockgate::http
