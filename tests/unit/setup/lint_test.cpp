// /proc/net/tcp as the kernel prints it: addresses in host byte order per 32-bit word, LISTEN is 0A.
#include "setup/lint.hpp"

#include <gtest/gtest.h>

namespace dockgate::setup {
namespace {

constexpr const char* kHeader =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

TEST(ProcNetTcp, KeepsListenersOnly) {
  std::string text =
      std::string(kHeader) +
      "   0: 00000000:0947 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11 1\n"
      "   1: 0100007F:0948 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12 1\n"
      "   2: 0100007F:9C40 0100007F:0947 01 00000000:00000000 00:00000000 00000000     0        0 13 1\n";
  auto l = parse_proc_net_tcp(text, false);
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].address, "0.0.0.0");
  EXPECT_EQ(l[0].port, 2375u);
  EXPECT_EQ(l[0].inode, 11u);
  EXPECT_EQ(l[1].address, "127.0.0.1");
  EXPECT_EQ(l[1].port, 2376u);
}

TEST(ProcNetTcp, Ipv6WordsAndMappedAddresses) {
  std::string text = std::string(kHeader) +
                     "   0: 00000000000000000000000000000000:0948 00000000000000000000000000000000:0000 0A "
                     "00000000:00000000 00:00000000 00000000     0        0 21 1\n"
                     "   1: 00000000000000000000000001000000:0948 00000000000000000000000000000000:0000 0A "
                     "00000000:00000000 00:00000000 00000000     0        0 22 1\n"
                     "   2: 0000000000000000FFFF00000A00000A:0948 00000000000000000000000000000000:0000 0A "
                     "00000000:00000000 00:00000000 00000000     0        0 23 1\n";
  auto l = parse_proc_net_tcp(text, true);
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].address, "::");
  EXPECT_EQ(l[1].address, "::1");
  EXPECT_EQ(l[2].address, "10.0.0.10");
}

}  // namespace
}  // namespace dockgate::setup
