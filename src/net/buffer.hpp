// A byte buffer for one direction of a connection: bytes arrive at the end, leave from the front, and the
// memory is given back whenever it is empty, so an idle connection holds none.
#pragma once

#include <cstring>
#include <memory>
#include <span>
#include <string_view>

namespace dockgate::net {

class Buffer {
 public:
  explicit Buffer(std::size_t capacity) : capacity_(capacity) {}

  std::string_view data() const { return {storage_.get() + begin_, end_ - begin_}; }
  bool empty() const { return begin_ == end_; }
  bool full() const { return begin_ == 0 && end_ == capacity_; }

  // Free space at the end, allocating the storage if it was released and moving unread bytes to the front.
  std::span<char> space() {
    if (!storage_) storage_ = std::make_unique_for_overwrite<char[]>(capacity_);
    if (begin_ > 0 && end_ == capacity_) {
      std::memmove(storage_.get(), storage_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    return {storage_.get() + end_, capacity_ - end_};
  }
  void commit(std::size_t n) { end_ += n; }
  void consume(std::size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Gives the memory back if nothing is buffered.
  void release() {
    if (empty()) storage_.reset();
  }

 private:
  std::unique_ptr<char[]> storage_;
  std::size_t capacity_, begin_ = 0, end_ = 0;
};

}  // namespace dockgate::net
