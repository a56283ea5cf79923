#include "pki/names.hpp"

#include <gtest/gtest.h>

#include "../support.hpp"
#include "error.hpp"

namespace dockgate::pki {
namespace {

HostName dns(const std::string& v) {
  return {HostName::Kind::dns, v};
}
HostName ip(const std::string& v) {
  return {HostName::Kind::ip, v};
}

TEST(ParseHost, TellsAddressesFromNames) {
  EXPECT_EQ(parse_host("192.0.2.10"), ip("192.0.2.10"));
  EXPECT_EQ(parse_host("2001:DB8:0:0::1"), ip("2001:db8::1"));
  EXPECT_EQ(parse_host("[::1]"), ip("::1"));
  EXPECT_EQ(parse_host("Docker.Example.COM."), dns("docker.example.com"));
  EXPECT_EQ(parse_host("localhost"), dns("localhost"));
  EXPECT_EQ(parse_host("*.build.example.com"), dns("*.build.example.com"));
  EXPECT_EQ(parse_host("xn--bcher-kva.example"), dns("xn--bcher-kva.example"));
}

TEST(ParseHost, RejectsWhatIsNeither) {
  for (const char* bad : {"", "a..b", ".example.com", "-a.example.com", "a-.example.com",
                          "under_score.example", "1.2.3", "256.1.1.1", "fe80::1%eth0", "::g", "*", "*.com",
                          "a.*.example.com", "host name", "example.com/path"}) {
    EXPECT_THROW(parse_host(bad), Error) << bad;
  }
}

TEST(ParseHost, ErrorNamesTheFlagAndValueAndWhatToGive) {
  std::string msg = testing::error_of([] { parse_host("1.2.3"); });
  EXPECT_NE(msg.find("invalid --host \"1.2.3\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("IP address"), std::string::npos) << msg;
}

TEST(EntityName, AllowsPlainNamesAndRejectsPathTricks) {
  for (const char* good : {"admin", "ci-runner_2", "alice@example.com", "build.host"}) {
    EXPECT_NO_THROW(check_entity_name(good, "client name")) << good;
  }
  for (const char* bad : {"", "..", ".hidden", "-flag", "a/b", "a b", "é", std::string(65, 'a').c_str()}) {
    EXPECT_THROW(check_entity_name(bad, "client name"), Error) << bad;
  }
}

TEST(Groups, RoundTripThroughTheirUri) {
  EXPECT_NO_THROW(check_group_name("ops.team-1"));
  EXPECT_THROW(check_group_name("ops team"), Error);
  EXPECT_THROW(check_group_name("a:b"), Error);
  EXPECT_EQ(group_uri("ops"), "urn:dockgate:group:ops");
  EXPECT_EQ(group_from_uri("urn:dockgate:group:ops"), "ops");
  EXPECT_EQ(group_from_uri("urn:dockgate:group:"), std::nullopt);
  EXPECT_EQ(group_from_uri("spiffe://example.org/ops"), std::nullopt);
}

}  // namespace
}  // namespace dockgate::pki
