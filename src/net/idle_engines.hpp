// Engine connections that finished client connections left at rest, kept for the next client. The docker
// CLI opens a connection per command; without these, each one costs the engine an accept, a goroutine
// and a close, and the gateway four system calls (bench/RESULTS.md, step 20).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>

#include "net/stream.hpp"

namespace dockgate::net {

class IdleEngines {
 public:
  // Keeps at most `capacity` connections, each for at most `max_idle`; a timer closes the expired ones.
  IdleEngines(const asio::any_io_executor& executor, std::size_t capacity,
              std::chrono::milliseconds max_idle);
  ~IdleEngines();
  IdleEngines(const IdleEngines&) = delete;
  IdleEngines& operator=(const IdleEngines&) = delete;

  // The most recently returned connection that the engine has neither closed nor written to since, or
  // nullptr. Connections found closed, talking or expired on the way are closed.
  std::unique_ptr<Stream> take();

  // Keeps a connection whose last response was read to its end and which the engine keeps alive. When
  // full, the one idle longest is closed.
  void give(std::unique_ptr<Stream> engine);

  // Closes every kept connection (shutdown); later give() calls close at once.
  void close_all();

  std::size_t size() const { return kept_.size(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Kept {
    std::unique_ptr<Stream> stream;
    Clock::time_point since;
  };
  void close_expired();
  void arm();

  std::size_t capacity_;
  std::chrono::milliseconds max_idle_;
  std::deque<Kept> kept_;  // oldest first
  asio::steady_timer timer_;
  bool armed_ = false, closed_ = false;
};

}  // namespace dockgate::net
