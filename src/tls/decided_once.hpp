// A choice made once per process about how OpenSSL is set up (an ENGINE, a provider), remembered until a
// test undoes it. No Asio here.
#pragma once

#include <mutex>
#include <optional>

namespace dockgate::tls {

template <typename Choice>
class DecidedOnce {
 public:
  // The first call's `decide()`; later calls return it without deciding again.
  template <typename Decide>
  Choice get(Decide decide) {
    std::lock_guard lock(mutex_);
    if (!choice_) choice_ = decide();
    return *choice_;
  }

  // Runs `undo()` and forgets the choice, so that the next get() decides again.
  template <typename Undo>
  void reset(Undo undo) {
    std::lock_guard lock(mutex_);
    undo();
    choice_.reset();
  }

 private:
  std::mutex mutex_;
  std::optional<Choice> choice_;
};

}  // namespace dockgate::tls
