#include "config/listen_address.hpp"

#include <gtest/gtest.h>

#include "../support.hpp"

namespace dockgate::config {
namespace {
using dockgate::testing::error_of;

std::string norm(const std::string& value, bool tls = true) {
  return parse_listen_address(value, tls).text();
}

TEST(ListenAddress, NormalisesLikeDockerd) {
  EXPECT_EQ(norm("tcp://0.0.0.0:2376"), "tcp://0.0.0.0:2376");
  EXPECT_EQ(norm("0.0.0.0"), "tcp://0.0.0.0:2376");
  EXPECT_EQ(norm("0.0.0.0", false), "tcp://0.0.0.0:2375");
  EXPECT_EQ(norm("docker.example.com:1234"), "tcp://docker.example.com:1234");
  EXPECT_EQ(norm(":2377"), "tcp://localhost:2377");
  EXPECT_EQ(norm("[::1]"), "tcp://[::1]:2376");
  EXPECT_EQ(norm("tcp://[2001:db8::1]:2380"), "tcp://[2001:db8::1]:2380");
  EXPECT_EQ(norm("tcp://"), "tcp://localhost:2376");
  EXPECT_EQ(norm("  tcp://127.0.0.1:9  "), "tcp://127.0.0.1:9");
  EXPECT_EQ(norm("unix:///run/dockgate.sock"), "unix:///run/dockgate.sock");
  EXPECT_EQ(norm("unix://"), "unix:///var/run/docker.sock");
}

TEST(ListenAddress, EmptyIsTheDefaultAddress) {
  EXPECT_EQ(norm(""), "tcp://localhost:2376");
  EXPECT_EQ(norm("", false), "unix:///var/run/docker.sock");
}

TEST(ListenAddress, SystemdSocketsByAllNumberOrName) {
  auto all = parse_listen_address("fd://", true);
  EXPECT_EQ(all.kind, ListenAddress::Kind::fd);
  EXPECT_EQ(all.fd, "");
  EXPECT_EQ(parse_listen_address("fd://3", true).fd, "3");
  EXPECT_EQ(parse_listen_address("fd://dockgate.socket", true).fd, "dockgate.socket");
}

TEST(ListenAddress, RejectsWithDockerdsWords) {
  EXPECT_EQ(error_of([] { norm("ftp://x"); }), "invalid bind address (ftp://x): unsupported proto 'ftp'");
  EXPECT_EQ(error_of([] { norm("tcp://a:1/path"); }),
            "invalid bind address (tcp://a:1/path): should not contain a path element");
  EXPECT_EQ(error_of([] { norm("tcp://a:0"); }), "invalid bind address (tcp://a:0): invalid port: 0");
  EXPECT_EQ(error_of([] { norm("tcp://a:abc"); }), "invalid bind address (tcp://a:abc): invalid port: abc");
  EXPECT_EQ(error_of([] { norm("a:70000"); }), "invalid bind address (a:70000): invalid port: 70000");
  EXPECT_EQ(error_of([] { norm("tcp://tcp://x"); }),
            "invalid bind address (tcp://tcp://x): unsupported proto 'tcp'");
  EXPECT_EQ(error_of([] { norm("unix://tcp://x"); }), "invalid proto, expected unix: tcp://x");
  EXPECT_NE(error_of([] { norm("::1"); }).find("must be in brackets"), std::string::npos);
  EXPECT_NE(error_of([] { norm("unix://relative.sock"); }).find("absolute"), std::string::npos);
}

TEST(ListenAddress, LoopbackIsOnlyWhatCertainlyIs) {
  for (const char* h : {"localhost", "127.0.0.1", "127.1.2.3", "::1"}) EXPECT_TRUE(is_loopback_host(h)) << h;
  for (const char* h :
       {"0.0.0.0", "::", "192.0.2.1", "docker.example.com", "::ffff:127.0.0.1", "localhost.evil.com"}) {
    EXPECT_FALSE(is_loopback_host(h)) << h;
  }
}

}  // namespace
}  // namespace dockgate::config
