#include "tls/copy_distance.hpp"

#include <gtest/gtest.h>

namespace dockgate::tls {
namespace {

TEST(CopyDistance, OnlyLargeCopiesJustPastTheSourceModuloAPageAreSlow) {
  constexpr std::uintptr_t from = 0x5000'0000'10f0;
  EXPECT_FALSE(copy_would_be_slow(from, from, 16384));  // distance 0 measured fast
  EXPECT_TRUE(copy_would_be_slow(from + 8, from, 16384));
  EXPECT_TRUE(copy_would_be_slow(from + 24, from, 16384));
  EXPECT_TRUE(copy_would_be_slow(from + 7 * kPage + 16, from, 16384));  // modulo a page
  EXPECT_FALSE(copy_would_be_slow(from + 64, from, 16384));
  EXPECT_FALSE(copy_would_be_slow(from - 16, from, 16384));  // before the source
  EXPECT_FALSE(copy_would_be_slow(from + 16, from, 2047));   // below rep movsb's threshold
}

TEST(CopyDistance, AStagedCopyIsFastBothWaysAndFitsItsBuffer) {
  for (std::uintptr_t base : {std::uintptr_t{0x7000'0000'0010}, std::uintptr_t{0x7000'0000'0ff0}}) {
    for (std::uintptr_t to = 0x5000'0000'0000; to < 0x5000'0000'0000 + 2 * kPage; to += 8) {
      std::size_t offset = staged_offset(base, to);
      ASSERT_LT(offset, kPage);  // the buffer is a page longer than what it holds
      std::uintptr_t staged = base + offset;
      EXPECT_EQ((to - staged) % kPage, kStagedDistance);
      EXPECT_FALSE(copy_would_be_slow(to, staged, 65536));
      // Copying in from any source that was judged slow is not slow itself.
      for (std::uintptr_t d = 1; d < kSlowDistance; ++d) {
        EXPECT_FALSE(copy_would_be_slow(staged, to - d, 65536));
      }
    }
  }
}

}  // namespace
}  // namespace dockgate::tls
