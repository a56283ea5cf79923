// The chunked-body scanner: where a body ends, however the bytes are split, and which framings are refused.
#include "http/chunked.hpp"

#include <gtest/gtest.h>

#include "http/head.hpp"

namespace dockgate::http {
namespace {

// Scans `body` fed in pieces of `step` bytes; returns the bytes consumed when the body ended, or -1.
long scan_in_steps(std::string_view body, size_t step) {
  ChunkedScanner s;
  size_t total = 0;
  for (size_t i = 0; i < body.size() && !s.done(); i += step) {
    std::string_view piece = body.substr(i, step);
    size_t n = s.scan(piece);
    total += n;
    if (n < piece.size()) break;
  }
  return s.done() ? static_cast<long>(total) : -1;
}

TEST(Chunked, FindsTheEndWhateverTheSplit) {
  std::string body = "5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";
  std::string next = "GET / HTTP/1.1\r\n";
  for (size_t step : {1u, 2u, 3u, 7u, 64u, 1000u}) {
    EXPECT_EQ(scan_in_steps(body + next, step), static_cast<long>(body.size())) << "step " << step;
  }
}

TEST(Chunked, AcceptsTrailers) {
  std::string body = "3\r\nabc\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n";
  EXPECT_EQ(scan_in_steps(body + "rest", 1), static_cast<long>(body.size()));
}

TEST(Chunked, IsNotDoneWhileIncomplete) {
  EXPECT_EQ(scan_in_steps("5\r\nhel", 100), -1);
}

TEST(Chunked, RefusesBadFraming) {
  for (std::string_view bad : {"x\r\n", "\r\n", "5\nhello\r\n", "5\r\nhelloXY", "-1\r\n",
                               "1000000000000000\r\n", "3\r\nabc\r\n0\r\nX\n"}) {
    ChunkedScanner s;
    EXPECT_THROW(s.scan(bad), BadMessage) << bad;
  }
}

}  // namespace
}  // namespace dockgate::http
