// Running an operation against a deadline, and reading what went wrong in a group of operations.
// Asio's `op || timer` waits for the first *successful* branch, so an operation that fails early would sit
// out the whole timer; before() turns failures into values first, so they end the wait at once.
#pragma once

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/multiple_exceptions.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>
#include <string>

namespace dockgate::net {

namespace detail {
template <class T>
struct Outcome {
  std::exception_ptr error;
  std::optional<T> value;
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
}  // namespace detail

// The result of `op`, or nullopt if `deadline` expired first (op is then cancelled). Rethrows op's failure
// as soon as it happens.
template <class T>
boost::asio::awaitable<std::optional<T>> before(boost::asio::steady_timer& deadline,
                                                boost::asio::awaitable<T> op) {
  using namespace boost::asio::experimental::awaitable_operators;
  auto r = co_await (detail::capture(std::move(op)) || deadline.async_wait(boost::asio::use_awaitable));
  if (r.index() == 1) co_return std::nullopt;
  auto& outcome = std::get<0>(r);
  if (outcome.error) std::rethrow_exception(outcome.error);
  co_return std::move(outcome.value);
}

// Whether `op` finished before `deadline`; its failure is rethrown as soon as it happens.
inline boost::asio::awaitable<bool> finishes_before(boost::asio::steady_timer& deadline,
                                                    boost::asio::awaitable<void> op) {
  auto as_value = [](boost::asio::awaitable<void> o) -> boost::asio::awaitable<bool> {
    co_await std::move(o);
    co_return true;
  };
  co_return (co_await before(deadline, as_value(std::move(op)))).has_value();
}

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
