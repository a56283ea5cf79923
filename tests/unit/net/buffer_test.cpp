// The connection buffers: bytes in order across reads, and the memory of an idle buffer kept on its thread
// for the next buffer of the same size, and only for that.
#include "net/buffer.hpp"

#include <gtest/gtest.h>

namespace dockgate::net {
namespace {

TEST(Buffer, KeepsBytesInOrderAndMovesTheRestToTheFront) {
  Buffer b(8);
  auto space = b.space();
  ASSERT_EQ(space.size(), 8u);
  std::memcpy(space.data(), "abcdefgh", 8);
  b.commit(8);
  EXPECT_TRUE(b.full());
  b.consume(6);
  EXPECT_EQ(b.data(), "gh");
  EXPECT_EQ(b.space().size(), 6u);  // "gh" moved to the front
  EXPECT_EQ(b.data(), "gh");
}

TEST(Buffer, AnIdleBuffersBlockServesTheNextBufferOfItsSize) {
  Buffer first(4096);
  char* block = first.space().data();
  first.release();  // empty: the block goes to the thread's cache

  Buffer other_size(2048);
  EXPECT_NE(other_size.space().data(), block);
  Buffer same_size(4096);
  EXPECT_EQ(same_size.space().data(), block);
  Buffer next(4096);
  EXPECT_NE(next.space().data(), block);  // taken: not handed out twice
}

TEST(Buffer, KeepsItsBlockWhileBytesAreBuffered) {
  Buffer b(4096);
  auto space = b.space();
  space[0] = 'x';
  b.commit(1);
  b.release();
  EXPECT_EQ(b.data(), "x");
}

}  // namespace
}  // namespace dockgate::net
