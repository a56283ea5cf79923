// The per-connection request loop. It reads in the order a request runs: wait for bytes (holding no
// buffer while idle), read and check the head, connect to the engine if this is the connection's first
// request, send the canonical head, then relay the request body and the response at the same time. A 101
// or a raw-stream answer turns the connection into a tunnel (net/pump.hpp) for the rest of its life.
#include "http/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "audit/sink.hpp"
#include "authz/policy.hpp"
#include "http/body.hpp"
#include "http/head.hpp"
#include "net/deadline.hpp"
#include "net/engine.hpp"
#include "net/fd.hpp"
#include "net/pump.hpp"
#include "obs/log.hpp"

namespace dockgate::http {
namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

// What an exchange came to, whichever way it ended: the steps fill it in, and it becomes the audit event
// in one place (AuditRecord), when the exchange ends.
struct Session::Outcome {
  std::string decision;  // "allow" or "deny"; empty when none was made
  std::string role, rule;
  int status = 0;  // the engine's, or the gateway's own answer; 0 if the exchange failed first
  std::uint64_t bytes_in = 0, bytes_out = 0;
  bool tunnel = false;
  net::TunnelBytes tunnel_bytes;
  double tunnel_ms = 0;
};

// One request on its way through the steps.
struct Session::Exchange {
  RequestHead request;
  Framing framing;  // the request body's framing as admitted (none once a judged body is in hand)
  authz::Route route;
  std::shared_ptr<const authz::Policy> policy;  // the one in force when the request came: a reload mid-way
                                                // does not change it
  std::optional<std::string> body;              // a judged body, whole: it goes with the head
  Outcome outcome;
  // When a step answered the client itself: whether the connection takes another request. (When the
  // engine answered, finish() decides.)
  bool keep_alive = false;
};

// How far the relay of one forwarded request got.
struct Session::Relay {
  int status = 0;
  bool response_started = false;  // the client has the response head: too late for an error response
  bool engine_keeps_alive = true;
  bool tunnel = false;
};

namespace {

// What went wrong, in words: the first real failure of a group, a system error's own message.
std::string describe(std::exception_ptr failure) {
  try {
    std::rethrow_exception(net::first_failure(std::move(failure)));
  } catch (const boost::system::system_error& e) {
    return e.code().message();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown failure";
  }
}

// A 200 with a JSON body the gateway made (whoami), framed for `request`.
std::string json_response(const std::string& body, const RequestHead& request) {
  std::string out =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n";
  if (!keeps_alive(request)) out += "Connection: close\r\n";
  out += "\r\n";
  if (request.method != "HEAD") out += body;
  return out;
}

// Reads from `engine` into `buffer` until it holds a whole response head (at most `limit` bytes); returns the
// head's size. Throws UnexpectedEnd if the engine closes first, BadMessage for a head too large.
asio::awaitable<std::size_t> read_response_head(net::Stream& engine, net::Buffer& buffer, std::size_t limit) {
  while (true) {
    if (std::optional<std::size_t> size = head_size(buffer.data(), limit)) co_return *size;
    std::size_t n = co_await engine.read_some(buffer.space());
    if (n == 0) throw UnexpectedEnd("the engine closed the connection before answering");
    buffer.commit(n);
  }
}

// Writes one audit event when an exchange ends, however it ends: what the request was, filled in when it
// is routed, and what it came to, from the Outcome, which only this turns into the event.
struct AuditRecord {
  AuditRecord(audit::Sink* s, const Session::Outcome& o) : sink(s), outcome(o) {}
  audit::Sink* sink;
  const Session::Outcome& outcome;
  audit::Event event;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  AuditRecord(const AuditRecord&) = delete;
  AuditRecord& operator=(const AuditRecord&) = delete;
  ~AuditRecord() {
    if (sink == nullptr) return;
    try {  // a destructor: nothing may leave it
      event.decision = outcome.decision;
      event.role = outcome.role;
      event.rule = outcome.rule;
      event.status = outcome.status;
      event.bytes_in = outcome.bytes_in;
      event.bytes_out = outcome.bytes_out;
      event.tunnel = outcome.tunnel;
      event.tunnel_bytes_in = outcome.tunnel_bytes.client_to_engine;
      event.tunnel_bytes_out = outcome.tunnel_bytes.engine_to_client;
      event.tunnel_duration_ms = outcome.tunnel_ms;
      event.duration_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      sink->write(event);
    } catch (...) {
      // An audit sink that fails logs it; the exchange is over either way.
    }
  }
};

}  // namespace

Session::Session(std::unique_ptr<net::Stream> client, tls::Identity identity, const Upstream& upstream,
                 const SessionLimits& limits, FromGateway gateway, audit::Sink* audit)
    : client_(std::move(client)),
      gateway_(std::move(gateway)),
      audit_(audit),
      identity_(std::move(identity)),
      upstream_(upstream),
      limits_(limits),
      from_client_(limits.buffer_size),
      from_engine_(limits.buffer_size) {}

Session::~Session() = default;

void Session::stop() {
  stopping_ = true;
  if (idle_) client_->close();
}

asio::awaitable<void> Session::respond_error(int status, const std::string& message) {
  obs::log(obs::Level::info, "request refused",
           {{"client", identity_.text()}, {"status", status}, {"reason", message}});
  try {
    co_await client_->write(json_error_response(status, "dockgate: " + message, true));
    co_await net::close_gently(*client_, 1 << 20, std::chrono::seconds(2));
  } catch (const std::exception&) {
    // The client left first; there is nobody to tell.
  }
}

// Reads one request head into `head`. Returns false if the client closed before sending a byte of it.
// Throws BadMessage for an oversized head (431) or one that does not complete in time (408). The time runs
// from the first byte on the wire (the caller waited for it), not from the first decrypted one: a client
// that trickles one TLS record of a head a byte at a time is held to it too. The deadline is a
// SocketDeadline, armed only when a read is needed: net::before() around each read cost 9 µs per
// kept-alive request (80 against 71 µs p50, bench/RESULTS.md step 29), most of it the exception with which
// the losing timer ends. It only cancels the read: the 408's lingering close still reads what the client
// sends, so that the client reads the 408 rather than a reset.
asio::awaitable<bool> Session::read_head(std::string& head) {
  std::optional<net::SocketDeadline> deadline;
  while (true) {
    if (auto size = head_size(from_client_.data(), limits_.head_limit)) {
      head.assign(from_client_.data().substr(0, *size));
      from_client_.consume(*size);
      co_return true;
    }
    if (!deadline) {
      deadline.emplace(client_->socket(), limits_.head_timeout, net::SocketDeadline::Expiry::cancel_waits);
    }
    std::size_t n = 0;
    try {
      n = co_await client_->read_some(from_client_.space());
    } catch (const std::exception&) {  // a cancelled wait, or whatever a TLS read makes of it
      if (!deadline->expired()) throw;
    }
    if (deadline->expired()) {
      throw BadMessage(408, "the request head did not arrive within " +
                                std::to_string(limits_.head_timeout.count()) + " s");
    }
    if (n == 0) {
      if (from_client_.empty()) co_return false;
      throw BadMessage(400, "the connection ended inside a request head");
    }
    from_client_.commit(n);
  }
}

// The first `want` bytes of the request body (all of a shorter body) for a judge that needs only those.
// They stay in from_client_: the relay sends the body on as it came. Throws BadMessage for broken framing
// and for a start that does not arrive within the head's time or does not fit the buffer (a padded chunk
// extension), and UnexpectedEnd when the client leaves first.
asio::awaitable<std::string> Session::read_body_start(const Framing& framing, std::size_t want) {
  asio::steady_timer deadline(co_await asio::this_coro::executor, limits_.head_timeout);
  while (true) {
    if (auto start = body_start(framing, from_client_.data(), want)) co_return std::move(*start);
    std::span<char> space = from_client_.space();
    if (space.empty()) throw BadMessage(400, "the start of the request body does not fit the buffer");
    auto n = co_await net::before(deadline, client_->read_some(space));
    if (!n) throw BadMessage(408, "the start of the request body did not arrive in time");
    if (*n == 0) throw UnexpectedEnd("the connection ended before the request body started");
    from_client_.commit(*n);
  }
}

asio::awaitable<void> Session::run() {
  std::string head;
  try {
    while (!stopping_) {
      if (from_client_.empty()) {
        from_client_.release();
        from_engine_.release();
        idle_ = true;
        co_await client_->wait_readable();
        idle_ = false;
        if (stopping_) break;
      }
      std::optional<BadMessage> bad;
      bool got_head = false;
      try {
        got_head = co_await read_head(head);
      } catch (const BadMessage& e) {
        bad = e;
      }
      if (bad) {
        co_await respond_error(bad->status, bad->what());
        break;
      }
      if (!got_head || !co_await exchange(head)) break;
    }
    co_await client_->finish_sending();
  } catch (...) {
    obs::log(obs::Level::debug, "connection ended",
             {{"client", identity_.text()}, {"cause", describe(std::current_exception())}});
  }
  client_->close();
  if (engine_) {
    // A connection at rest carries nothing of this client's: another client's first request may use it.
    if (engine_at_rest_ && from_engine_.empty() && upstream_.idle != nullptr && !stopping_) {
      upstream_.idle->give(std::move(engine_));
    } else {
      engine_->close();
    }
  }
}

// Asks the engine for `path` (an inspection the sandbox judges before forwarding a request) on a connection
// of its own, one left at rest by a client or a new one, given back at rest afterwards. Returns the status
// and the whole body, or kAnswerTooLarge and nothing for a body larger than kMaxInspectedAnswer. Throws when
// the engine cannot be reached or answers out of HTTP framing; a connection taken at rest that fails is
// replaced once, as for forwarded requests.
asio::awaitable<std::pair<int, std::string>> Session::ask_engine(const std::string& path) {
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<net::Stream> engine;
    if (attempt == 0 && upstream_.idle != nullptr) engine = upstream_.idle->take();
    bool reused = engine != nullptr;
    if (!engine) engine = co_await net::connect_engine(upstream_.address);
    net::Buffer buffer(limits_.buffer_size);
    try {
      co_await engine->write("GET " + path + " HTTP/1.1\r\nHost: docker\r\n\r\n");
      std::size_t size = co_await read_response_head(*engine, buffer, limits_.buffer_size);
      ResponseHead response = parse_response_head(buffer.data().substr(0, size));
      buffer.consume(size);
      Framing framing = response_framing(response, "GET");
      if (framing.kind == Framing::Kind::until_close) throw BadMessage(502, "an answer without framing");
      std::string body;
      bool fits = co_await read_body(framing, *engine, buffer, body, authz::kMaxInspectedAnswer);
      if (!fits) {
        engine->close();  // the rest of the answer is still coming
        co_return std::pair{authz::kAnswerTooLarge, std::string()};
      }
      if (keeps_alive(response) && buffer.empty() && upstream_.idle != nullptr && !stopping_) {
        upstream_.idle->give(std::move(engine));
      } else {
        engine->close();
      }
      co_return std::pair{response.status, std::move(body)};
    } catch (const boost::system::system_error&) {
      engine->close();
      if (!reused) throw;
    } catch (const UnexpectedEnd&) {
      engine->close();
      if (!reused) throw;
    }
  }
}

namespace {
constexpr const char* kClientLeft = "the client left during the response";
}  // namespace

// Relays a response body (after a bodiless request) while watching the client, so that a client that leaves
// during a quiet stream (events, a silent `logs -f`, `wait`) ends the exchange now, as dockerd cancels the
// request when its client goes, rather than at the engine's next write, which may never come. Throws as
// relay_body does, and UnexpectedEnd when the client leaves first.
asio::awaitable<void> Session::relay_response_body(const Framing& body, std::uint64_t& relayed) {
  auto relay = [&]() -> asio::awaitable<bool> {
    co_await relay_body(body, *engine_, from_engine_, *client_, relayed);
    co_return true;
  };
  auto result = co_await (net::capture(relay()) || client_left());
  if (result.index() == 1) throw UnexpectedEnd(kClientLeft);
  std::get<0>(result).get();
}

// The same watch after a request with a body, from the end of that body until the response is through
// (`answered`, and `answered_signal` cancelled): a `docker build` whose client leaves during a silent step
// ends now, and dockerd cancels the build. Throws UnexpectedEnd when the client leaves first.
asio::awaitable<void> Session::watch_client(bool& answered, asio::steady_timer& answered_signal) {
  if (answered) co_return;
  auto result = co_await (client_left() || answered_signal.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (result.index() == 0) throw UnexpectedEnd(kClientLeft);
}

// Completes when the client has finished sending or its connection failed. Bytes it sends meanwhile (a
// pipelined request) stay in from_client_ for the next exchange; once that buffer is full, it only waits
// to be cancelled.
asio::awaitable<void> Session::client_left() {
  while (true) {
    std::span<char> space = from_client_.space();
    if (space.empty()) {
      asio::steady_timer never(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
      co_await never.async_wait(asio::use_awaitable);
    }
    std::size_t n = 0;
    try {
      n = co_await client_->read_some(space);
    } catch (const boost::system::system_error& e) {
      if (e.code() == asio::error::operation_aborted) throw;  // the response ended first
      co_return;                                              // a reset: gone
    }
    if (n == 0) co_return;
    from_client_.commit(n);
  }
}

// One request and its response, in named steps; returns whether the connection takes another request.
//   admit:   route, read what the decision needs of the body, decide, inspect what the request acts on
//   forward: an engine connection (this client's, one at rest, or a new one; one retry), the head with any
//            body in hand in one write, then both bodies relayed at once
//   finish:  a tunnel, or the engine connection kept at rest for the next request
// admit and forward return whether the request goes on to the next step: false when they answered the
// client themselves (an error, a denial, whoami), leaving x.keep_alive to say whether the connection goes
// on. exchange and finish return whether the connection takes another request. The Outcome becomes the
// audit event at the end.
asio::awaitable<bool> Session::exchange(const std::string& raw_head) {
  Exchange x;
  std::optional<BadMessage> bad;
  try {
    x.request = parse_request_head(raw_head);
    x.framing = request_framing(x.request);
  } catch (const BadMessage& e) {
    bad = e;
  }
  if (bad) {  // nothing to audit: not a request
    co_await respond_error(bad->status, bad->what());
    co_return false;
  }
  x.policy = gateway_.policy();
  x.route = authz::route(x.request.method, x.request.target);
  AuditRecord record(audit_, x.outcome);
  if (audit_ != nullptr) {  // without a sink nothing reads the event: its strings are not worth building
    record.event.time = obs::timestamp();
    record.event.common_name = identity_.common_name;
    record.event.serial = identity_.serial;
    record.event.peer = identity_.peer;
    record.event.method = x.request.method;
    record.event.path = x.route.path;
    record.event.endpoint = x.route.endpoint != nullptr ? x.route.endpoint->name : "unknown";
    for (const auto& h : x.request.headers.list) {
      if (audit::is_credential_header(h.name)) record.event.redacted.emplace_back(h.name);
    }
  }
  if (!co_await admit(x)) co_return x.keep_alive;
  Relay relay;
  if (!co_await forward(x, relay)) co_return x.keep_alive;
  co_return co_await finish(x, relay);
}

// Takes: a routed request. Leaves: x.body (a judged body, whole) and x.framing (what is left to relay),
// the request's target naming the judged object by ID, x.outcome's decision, role and rule. Returns true
// when the request goes to the engine; false when answered here (whoami, a denial, a body or an inspection
// that failed), with x.keep_alive set.
asio::awaitable<bool> Session::admit(Exchange& x) {
  RequestHead& request = x.request;
  const authz::Policy& policy = *x.policy;
  // GET /_dockgate/whoami (with or without a version prefix) is answered by the gateway itself.
  if (x.route.endpoint != nullptr && std::string_view(x.route.endpoint->name) == "dockgate.whoami") {
    x.outcome.decision = "allow";
    x.outcome.rule = "whoami is open to every client";
    x.outcome.status = 200;
    co_await client_->write(json_response(gateway_.whoami(identity_, policy), request));
    x.keep_alive = keeps_alive(request) && !stopping_;
    co_return false;
  }

  // The decision, on exactly what will be forwarded: endpoints whose body can escape the sandbox have the
  // whole body read (up to a cap) and judged first, then sent on with a Content-Length.
  const authz::BodyJudged judged = policy.judged_body(identity_, x.route);
  if (judged == authz::BodyJudged::start) {
    // Only the body's first bytes decide (an archive's compression); the body is relayed as usual.
    std::optional<BadMessage> bad_start;
    try {
      x.body = co_await read_body_start(x.framing, authz::kJudgedBodyStart);
    } catch (const BadMessage& e) {
      bad_start = e;
    }
    if (bad_start) {
      x.outcome.status = bad_start->status;
      co_await respond_error(bad_start->status, bad_start->what());
      co_return false;
    }
  } else if (judged == authz::BodyJudged::whole) {
    std::string body;
    bool complete = co_await read_body(x.framing, *client_, from_client_, body, authz::kMaxInspectedBody);
    if (!complete) {
      x.framing.kind = Framing::Kind::chunked;  // no body to judge (denied below); unread bytes: close after
    } else {
      x.body = std::move(body);
      set_content_length(request, x.body->size());
      x.framing = Framing{Framing::Kind::none, 0};
    }
  }
  std::string_view body_type;
  if (x.framing.kind != Framing::Kind::none ||
      (judged == authz::BodyJudged::whole && x.body && !x.body->empty())) {
    const std::string_view* type = request.headers.find("Content-Type");
    body_type = type != nullptr ? *type : "application/octet-stream";
  }
  authz::Decision decision = policy.decide(identity_, request.method, x.route, x.body, body_type);
  if (judged == authz::BodyJudged::start) x.body.reset();  // judged in place: it is relayed as it came
  // What the request acts on or mounts at the engine (a sandboxed role's exec into an admin's container), as
  // the engine holds it now.
  for (std::size_t i = 0; decision.allowed && i < decision.to_inspect.size(); ++i) {
    authz::EngineObject object = decision.to_inspect[i];  // judging may add to the list
    std::optional<std::string> path = authz::inspect_path(object);
    std::pair<int, std::string> answer{0, {}};
    std::string cause;
    if (path) {
      try {
        answer = co_await ask_engine(*path);
      } catch (...) {
        cause = describe(std::current_exception());
      }
    }
    if (!cause.empty()) {
      x.outcome.status = 502;
      co_await respond_error(502, "the Docker engine at " + upstream_.text + " did not say what " +
                                      authz::describe(object) +
                                      " is, which the sandbox judges first: " + cause);
      co_return false;
    }
    policy.judge_inspected(decision, identity_, request.method, x.route, object, answer.first, answer.second);
  }
  if (decision.allowed && !decision.acted_on_id.empty()) {
    request.target = authz::target_naming(request.target, decision.acted_on_id);
  }
  x.outcome.decision = decision.allowed ? "allow" : "deny";
  if (decision.allowed) {
    x.outcome.role = std::move(decision.role);
    x.outcome.rule = std::move(decision.rule);
    co_return true;
  }

  x.outcome.status = decision.status;
  obs::log(obs::Level::info, "request denied",
           {{"client", identity_.text()},
            {"method", request.method},
            {"path", x.route.path},
            {"role", decision.role},
            {"rule", decision.rule},
            {"reason", decision.reason}});
  x.outcome.role = decision.role;
  x.outcome.rule = decision.rule;
  bool body_left = x.framing.kind != Framing::Kind::none;
  // docker cp asks HEAD of a path before its PUT, on the same connection.
  co_await client_->write(json_error_response(decision.status,
                                              "dockgate: " + decision.reason + " [" + decision.rule + "]",
                                              body_left || !keeps_alive(request), request.method == "HEAD"));
  if (body_left) {
    // Let the client finish sending (within reason) so that it reads the 403 rather than a reset.
    co_await net::close_gently(*client_, std::size_t{64} << 20, std::chrono::seconds(2));
    co_return false;
  }
  x.keep_alive = keeps_alive(request) && !stopping_;
  co_return false;
}

// Takes: an admitted request. Leaves: engine_ connected (and `relay` saying how far the response got) when
// the response went through; x.outcome's status and bytes either way. Returns false when the client was
// answered with the gateway's own error instead (the connection then ends); throws UnexpectedEnd when the
// exchange broke after the response started, which only closing can tell the client.
//
// The engine connection is opened by the first request, not at accept: an idle client costs no second
// descriptor. A request without a body may take one that an earlier client left at rest. A kept-alive
// engine connection that the engine has since closed gets one retry on a new connection, when the request
// has no body that could already be half-sent (a judged body is sent whole, but is not sent twice either);
// that is why only such a request takes a connection from the idle ones.
asio::awaitable<bool> Session::forward(Exchange& x, Relay& relay) {
  // Only a request with no body at all may take a connection at rest. The retry below asks the same of
  // what is left to relay, and that nothing was sent: a judged body counts as sent from the head's write.
  const bool bodiless = x.framing.kind == Framing::Kind::none && !x.body;
  for (int attempt = 0;; ++attempt) {
    const char* origin = "kept";  // for the debug log: this client's, another's left at rest, or new
    if (!engine_ && attempt == 0 && bodiless && upstream_.idle != nullptr) {
      engine_ = upstream_.idle->take();
      origin = "reused";
    }
    const bool reused = engine_ != nullptr;
    if (!engine_) {
      origin = "opened";
      if (!co_await connect(x)) co_return false;
    }
    relay = Relay{};  // each attempt counts afresh: a retried request moved nothing on the failed one
    x.outcome.bytes_in = x.outcome.bytes_out = 0;
    engine_at_rest_ = false;
    std::exception_ptr failure;
    try {
      co_await relay_exchange(x, relay);
    } catch (...) {
      failure = net::first_failure(std::current_exception());
    }
    x.outcome.status = relay.status;
    if (!failure) {
      if (obs::enabled(obs::Level::debug)) {
        obs::log(obs::Level::debug, "request",
                 {{"client", identity_.text()},
                  {"method", x.request.method},
                  {"target", x.request.target},
                  {"status", relay.status},
                  {"bytes_in", x.outcome.bytes_in},
                  {"bytes_out", x.outcome.bytes_out},
                  {"engine_connection", origin}});
      }
      co_return true;
    }

    const std::string cause = describe(failure);
    std::optional<BadMessage> bad_body;
    try {
      std::rethrow_exception(failure);
    } catch (const BadMessage& e) {
      bad_body = e;
    } catch (...) {
    }
    engine_->close();
    engine_.reset();
    if (relay.response_started) throw UnexpectedEnd(cause);  // mid-response: all we can do is close
    if (bad_body && bad_body->status < 500) {
      x.outcome.status = bad_body->status;
      co_await respond_error(bad_body->status, bad_body->what());
      co_return false;
    }
    if (reused && attempt == 0 && x.framing.kind == Framing::Kind::none && x.outcome.bytes_in == 0) {
      obs::log(obs::Level::debug, "retrying on a new engine connection",
               {{"client", identity_.text()}, {"connection", origin}, {"cause", cause}});
      continue;
    }
    x.outcome.status = 502;
    co_await respond_error(502,
                           "the Docker engine at " + upstream_.text + " failed before answering: " + cause);
    co_return false;
  }
}

// Opens a new engine connection into engine_. Returns false, having answered the client (503 when this
// process is out of descriptors, 502 when the engine cannot be reached), when it cannot.
asio::awaitable<bool> Session::connect(Exchange& x) {
  std::string cause, exhausted;
  try {
    engine_ = co_await net::connect_engine(upstream_.address);
    co_return true;
  } catch (const boost::system::system_error& e) {
    cause = e.code().message();
    exhausted = net::descriptors_exhausted(e.code().value());
  } catch (...) {
    cause = describe(std::current_exception());
  }
  if (!exhausted.empty()) {
    // Not the engine's fault, and not a Docker daemon that is down: say which limit to raise.
    x.outcome.status = 503;
    co_await respond_error(503, "cannot open a connection to the Docker engine: " + exhausted);
    co_return false;
  }
  x.outcome.status = 502;
  co_await respond_error(502, "cannot reach the Docker engine at " + upstream_.text + ": " + cause +
                                  ". Is the docker daemon running?");
  co_return false;
}

// The head (with any body in hand) to the engine in one write, then the request body and the response
// relayed at the same time. Counts into x.outcome as bytes move; throws on any failure.
asio::awaitable<void> Session::relay_exchange(Exchange& x, Relay& relay) {
  Framing rest = x.framing;  // what of the request body is left to relay after the head's write
  std::string head_out = serialize(x.request);
  if (x.body) {
    head_out += *x.body;  // one write, and one segment on the engine socket, for head and judged body
    x.outcome.bytes_in = x.body->size();
  } else if (std::size_t in_hand = buffered_whole_body(x.framing, from_client_.data());
             x.framing.kind != Framing::Kind::none && in_hand != kNotBuffered) {
    // A body already here whole goes in the head's write too. dockerd hijacks an attach once it has read
    // the head and hands whatever arrives later to the container's stdin: docker-modem (dockerode) sends
    // its attach with a small JSON body, which a second write put into the container.
    head_out.append(from_client_.data().substr(0, in_hand));
    from_client_.consume(in_hand);
    x.outcome.bytes_in = in_hand;
    rest = Framing{};
  }
  co_await engine_->write(head_out);
  if (rest.kind == Framing::Kind::none) {
    co_await relay_response(x, relay, false);  // nothing to send alongside: no parallel group
    co_return;
  }
  bool answered = false;
  asio::steady_timer answered_signal(co_await asio::this_coro::executor,
                                     asio::steady_timer::time_point::max());
  auto relay_request_then_watch = [&]() -> asio::awaitable<void> {
    co_await relay_body(rest, *client_, from_client_, *engine_, x.outcome.bytes_in);
    co_await watch_client(answered, answered_signal);
  };
  auto relay_response_then_signal = [&]() -> asio::awaitable<void> {
    co_await relay_response(x, relay, true);
    answered = true;
    answered_signal.cancel();
  };
  co_await (relay_request_then_watch() && relay_response_then_signal());
}

// The response: interim answers passed on, then the head and its body (a whole small answer in one write).
// `request_body_pending`: the request's own side watches the client once its body is through; otherwise
// nothing reads the client meanwhile, so the body's relay watches it.
asio::awaitable<void> Session::relay_response(Exchange& x, Relay& relay, bool request_body_pending) {
  while (true) {
    std::size_t size = co_await read_response_head(*engine_, from_engine_, limits_.buffer_size);
    std::string_view head = from_engine_.data().substr(0, size);
    ResponseHead response = parse_response_head(head);
    bool interim = response.status < 200 && response.status != 101;
    relay.status = response.status;
    relay.engine_keeps_alive = keeps_alive(response);
    Framing body = response_framing(response, x.request.method);
    if (std::size_t whole = buffered_whole_body(body, from_engine_.data().substr(head.size()));
        !interim && whole != kNotBuffered) {
      // The whole answer is already here (pings, inspects, lists): one TLS record and one write.
      co_await client_->write(from_engine_.data().substr(0, head.size() + whole));
      from_engine_.consume(head.size() + whole);
      relay.response_started = true;
      x.outcome.bytes_out = whole;
      co_return;
    }
    co_await client_->write(head);
    from_engine_.consume(head.size());
    if (interim) continue;  // 100 Continue: the real answer follows
    relay.response_started = true;
    if (body.kind == Framing::Kind::until_close) {
      relay.tunnel = true;
    } else if (!request_body_pending) {
      co_await relay_response_body(body, x.outcome.bytes_out);
    } else {
      co_await relay_body(body, *engine_, from_engine_, *client_, x.outcome.bytes_out);
    }
    co_return;
  }
}

// Takes: a response relayed whole, or a 101/raw-stream head sent. Returns whether the connection takes
// another request: after a tunnel, never; otherwise when both sides keep it alive, with the engine
// connection left at rest (engine_at_rest_) for this client's next request or another client's.
asio::awaitable<bool> Session::finish(Exchange& x, const Relay& relay) {
  if (relay.tunnel) {
    x.outcome.tunnel = true;
    auto start = std::chrono::steady_clock::now();
    x.outcome.tunnel_bytes =
        co_await net::tunnel(*client_, from_client_, *engine_, from_engine_, limits_.client_grace);
    x.outcome.tunnel_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    obs::log(obs::Level::debug, "tunnel closed",
             {{"client", identity_.text()},
              {"target", x.request.target},
              {"bytes_in", x.outcome.tunnel_bytes.client_to_engine},
              {"bytes_out", x.outcome.tunnel_bytes.engine_to_client}});
    co_return false;
  }
  if (!relay.engine_keeps_alive) {
    engine_->close();
    engine_.reset();
  }
  engine_at_rest_ = engine_ != nullptr;
  co_return keeps_alive(x.request) && relay.engine_keeps_alive && !stopping_;
}

}  // namespace dockgate::http
