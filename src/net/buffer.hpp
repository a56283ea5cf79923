// A byte buffer for one direction of a connection: bytes arrive at the end, leave from the front, and the
// memory is given back whenever it is empty, so an idle connection holds none.
#pragma once

#include <array>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

namespace dockgate::net {

// Blocks that idle buffers gave back, kept on their thread for the next buffer that needs one. A kept-alive
// connection gives both of its buffers back between requests, and glibc's free of a 64 KiB block is its
// slowest path (it consolidates the heap's small free chunks); a few kept blocks make that once per burst
// rather than twice per request, and cost at most kKept blocks of memory per thread.
class BlockCache {
 public:
  static std::unique_ptr<char[]> take(std::size_t size) {
    Cache& c = cache();
    for (std::size_t i = c.count; i > 0; --i) {
      if (c.blocks[i - 1].size == size) {
        std::unique_ptr<char[]> block = std::move(c.blocks[i - 1].bytes);
        c.blocks[i - 1] = std::move(c.blocks[--c.count]);
        return block;
      }
    }
    return std::make_unique_for_overwrite<char[]>(size);
  }
  static void give(std::unique_ptr<char[]> block, std::size_t size) {
    Cache& c = cache();
    if (c.count < kKept) c.blocks[c.count++] = {std::move(block), size};
  }

 private:
  static constexpr std::size_t kKept = 4;
  struct Block {
    std::unique_ptr<char[]> bytes;
    std::size_t size = 0;
  };
  struct Cache {
    std::array<Block, kKept> blocks;
    std::size_t count = 0;
  };
  static Cache& cache() {
    thread_local Cache c;
    return c;
  }
};

class Buffer {
 public:
  explicit Buffer(std::size_t capacity) : capacity_(capacity) {}

  std::string_view data() const { return {storage_.get() + begin_, end_ - begin_}; }
  bool empty() const { return begin_ == end_; }
  bool full() const { return begin_ == 0 && end_ == capacity_; }

  // Free space at the end, allocating the storage if it was released and moving unread bytes to the front.
  std::span<char> space() {
    if (!storage_) storage_ = BlockCache::take(capacity_);
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
    if (empty() && storage_) BlockCache::give(std::move(storage_), capacity_);
  }

 private:
  std::unique_ptr<char[]> storage_;
  std::size_t capacity_, begin_ = 0, end_ = 0;
};

}  // namespace dockgate::net
