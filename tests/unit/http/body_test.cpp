// What a body's framing says about the bytes that follow a head: where a whole buffered body ends, and the
// decoded start of one that is still arriving.
#include "http/body.hpp"

#include <gtest/gtest.h>

#include "http/head.hpp"

namespace dockgate::http {
namespace {

Framing length(std::uint64_t n) {
  return Framing{Framing::Kind::length, n};
}
const Framing kChunked{Framing::Kind::chunked, 0};

TEST(Body, AWholeBufferedBodyIsMeasuredByItsFraming) {
  EXPECT_EQ(buffered_whole_body(Framing{}, "GET / HTTP/1.1\r\n"), 0u);
  EXPECT_EQ(buffered_whole_body(length(3), "abcdef"), 3u);
  EXPECT_EQ(buffered_whole_body(length(7), "abcdef"), kNotBuffered);
  EXPECT_EQ(buffered_whole_body(kChunked, "3\r\nabc\r\n0\r\n\r\nNEXT"), 13u);
  EXPECT_EQ(buffered_whole_body(kChunked, "3\r\nabc\r\n"), kNotBuffered);
}

TEST(Body, TheStartOfABodyIsItsFirstDecodedBytes) {
  using namespace std::string_view_literals;
  EXPECT_EQ(body_start(Framing{}, "", 6), "");
  EXPECT_EQ(body_start(length(100), "\x1f\x8b\x08\x00\x00\x00rest"sv, 6),
            std::string("\x1f\x8b\x08\x00\x00\x00", 6));
  EXPECT_EQ(body_start(length(100), "\x1f\x8b", 6), std::nullopt);  // more is coming
  EXPECT_EQ(body_start(length(2), "\x1f\x8bNEXT", 6), "\x1f\x8b");  // a shorter body is all of it
  // Chunked: the data across chunks, without sizes or extensions; one-byte chunks included.
  EXPECT_EQ(body_start(kChunked, "1\r\n\xfd\r\n2;x=y\r\n7z\r\n3\r\nXZ\x00\r\n"sv, 6), std::string("\xfd"
                                                                                                  "7zXZ\x00",
                                                                                                  6));
  EXPECT_EQ(body_start(kChunked, "1\r\n\xfd\r\n2\r\n7", 6), std::nullopt);
  EXPECT_EQ(body_start(kChunked, "2\r\nab\r\n0\r\n\r\n", 6), "ab");
  EXPECT_EQ(body_start(kChunked, "0\r\n\r\n", 6), "");
  EXPECT_THROW(body_start(kChunked, "zz\r\nab\r\n", 6), BadMessage);
}

}  // namespace
}  // namespace dockgate::http
