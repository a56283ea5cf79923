// Running an operation against a deadline, and reading what went wrong in a group of operations.
// Asio's `op || timer` waits for the first *successful* branch, so an operation that fails early would sit
// out the whole timer; before() turns failures into values first, so they end the wait at once.
// SocketDeadline bounds a whole stretch of waits on one socket with a single timer.
#pragma once

#include <sys/socket.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/multiple_exceptions.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>

namespace dockgate::net {

// An operation's result or its failure, as a value. In a group that waits for the first *successful*
// branch (`||`), a captured operation ends the wait whether it succeeds or fails.
template <class T>
struct Outcome {
  std::exception_ptr error;
  std::optional<T> value;
  T get() {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
};

template <class T>
boost::asio::awaitable<Outcome<T>> capture(boost::asio::awaitable<T> op) {
  Outcome<T> out;
  try {
    out.value.emplace(co_await std::move(op));
  } catch (...) {
    out.error = std::current_exception();
  }
  co_return out;
}

// The result of `op`, or nullopt if `deadline` expired first (op is then cancelled). Rethrows op's failure
// as soon as it happens.
template <class T>
boost::asio::awaitable<std::optional<T>> before(boost::asio::steady_timer& deadline,
                                                boost::asio::awaitable<T> op) {
  using namespace boost::asio::experimental::awaitable_operators;
  auto r = co_await (capture(std::move(op)) || deadline.async_wait(boost::asio::use_awaitable));
  if (r.index() == 1) co_return std::nullopt;
  co_return std::get<0>(r).get();
}

// A deadline for a stretch of code whose every wait is on one socket (the TLS handshake): once `timeout`
// has passed, the socket's reading side is shut down and its pending waits cancelled, so the wait under
// way and any later read fail at once; expired() then tells that failure from any other. Much cheaper
// than before() around each step: no coroutines to spawn, and no exception for the timer that loses.
// Destroy it before the socket; after that it never touches the socket again.
class SocketDeadline {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;
  // What expiry does besides cancelling the waits under way: shut the reading side (nothing read after it
  // succeeds, as a handshake needs), or leave it open (the caller checks expired() after each read and
  // still reads afterwards, as a 408's lingering close does).
  enum class Expiry { shut_reading, cancel_waits };

  SocketDeadline(Socket& socket, std::chrono::steady_clock::duration timeout,
                 Expiry expiry = Expiry::shut_reading)
      : state_(std::make_shared<State>(socket.get_executor())) {
    state_->timer.expires_after(timeout);
    state_->timer.async_wait([state = state_, &socket, expiry](const boost::system::error_code& ec) {
      if (ec || state->disarmed) return;  // a wait that completed as the deadline was being disarmed
      state->expired = true;
      if (expiry == Expiry::shut_reading) ::shutdown(socket.native_handle(), SHUT_RD);
      boost::system::error_code ignored;
      socket.cancel(ignored);
    });
  }
  SocketDeadline(const SocketDeadline&) = delete;
  SocketDeadline& operator=(const SocketDeadline&) = delete;
  ~SocketDeadline() {
    state_->disarmed = true;  // enough on its own: the handler then leaves the socket alone
    try {
      state_->timer.cancel();  // frees the handler (and the state) now rather than at expiry
    } catch (const boost::system::system_error&) {
      // The timer is already gone or expired; nothing to free early.
    }
  }

  bool expired() const { return state_->expired; }

 private:
  struct State {
    explicit State(const boost::asio::any_io_executor& executor) : timer(executor) {}
    boost::asio::steady_timer timer;
    bool disarmed = false;
    bool expired = false;
  };
  std::shared_ptr<State> state_;
};

// The first real failure inside an exception from `a && b` (which wraps the pair in multiple_exceptions).
inline std::exception_ptr first_failure(std::exception_ptr e) {
  while (e) {
    try {
      std::rethrow_exception(e);
    } catch (const boost::asio::multiple_exceptions& m) {
      e = m.first_exception();
      continue;
    } catch (...) {
      return e;
    }
  }
  return e;
}

}  // namespace dockgate::net
