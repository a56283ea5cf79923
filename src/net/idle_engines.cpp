// The idle engine connections: most recent first out, so that the busiest ones stay warm and the rest
// age out; closed when expired, talking, closed by the engine, or at shutdown.
#include "net/idle_engines.hpp"

namespace dockgate::net {

IdleEngines::IdleEngines(const asio::any_io_executor& executor, std::size_t capacity,
                         std::chrono::milliseconds max_idle)
    : capacity_(capacity), max_idle_(max_idle), timer_(executor) {}

// The timer's own destructor cancels its wait, whose handler then returns without touching this object.
IdleEngines::~IdleEngines() {
  for (auto& k : kept_) k.stream->close();
}

std::unique_ptr<Stream> IdleEngines::take() {
  close_expired();
  while (!kept_.empty()) {
    std::unique_ptr<Stream> stream = std::move(kept_.back().stream);
    kept_.pop_back();
    // The engine may have closed it (a restart, an idle timeout), or sent bytes no request asked for:
    // either way it cannot carry the next request.
    if (stream->quiet()) return stream;
    stream->close();
  }
  return nullptr;
}

void IdleEngines::give(std::unique_ptr<Stream> engine) {
  if (closed_ || capacity_ == 0) {
    engine->close();
    return;
  }
  close_expired();
  if (kept_.size() >= capacity_) {
    kept_.front().stream->close();
    kept_.pop_front();
  }
  kept_.push_back({std::move(engine), Clock::now()});
  arm();
}

void IdleEngines::close_all() {
  closed_ = true;
  for (auto& k : kept_) k.stream->close();
  kept_.clear();
  timer_.cancel();
}

void IdleEngines::close_expired() {
  Clock::time_point now = Clock::now();
  while (!kept_.empty() && now - kept_.front().since >= max_idle_) {
    kept_.front().stream->close();
    kept_.pop_front();
  }
}

// One wait at a time, for the oldest connection's expiry; it re-arms itself while any are kept.
void IdleEngines::arm() {
  if (armed_ || kept_.empty()) return;
  armed_ = true;
  timer_.expires_at(kept_.front().since + max_idle_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: close_all() or destruction
    armed_ = false;
    close_expired();
    arm();
  });
}

}  // namespace dockgate::net
