// Source networks are normalised or refused with the likely intended value; rules name every network.
#include "setup/firewall.hpp"

#include <gtest/gtest.h>

#include "error.hpp"

namespace dockgate::setup {
namespace {

TEST(ParseNetwork, NormalisesAndDefaultsToOneAddress) {
  EXPECT_EQ(parse_network("10.0.0.0/8").text(), "10.0.0.0/8");
  EXPECT_EQ(parse_network("192.0.2.7").text(), "192.0.2.7/32");
  EXPECT_EQ(parse_network("2001:0db8:0:0::/32").text(), "2001:db8::/32");
  EXPECT_TRUE(parse_network("::1").ipv6);
  EXPECT_EQ(parse_network("::1").prefix, 128);
}

TEST(ParseNetwork, RefusesHostBitsBadPrefixesAndNames) {
  try {
    parse_network("10.1.2.3/16");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "--from 10.1.2.3/16: has host bits set past /16; did you mean 10.1.0.0/16, or the single "
                 "address 10.1.2.3?");
  }
  EXPECT_THROW(parse_network("10.0.0.0/33"), Error);
  EXPECT_THROW(parse_network("10.0.0.0/"), Error);
  EXPECT_THROW(parse_network("example.com"), Error);
  EXPECT_THROW(parse_network("fe80::1/129"), Error);
}

TEST(FirewallRules, NeedAtLeastOneNetwork) {
  EXPECT_THROW(firewall_rules(Firewall::ufw, {}, 2376), Error);
}

TEST(FirewallRules, NftablesSplitsFamilies) {
  auto r =
      firewall_rules(Firewall::nftables, {parse_network("10.0.0.0/8"), parse_network("2001:db8::/32")}, 2376);
  EXPECT_NE(r.ruleset.find("elements = { 10.0.0.0/8 }"), std::string::npos);
  EXPECT_NE(r.ruleset.find("elements = { 2001:db8::/32 }"), std::string::npos);
  EXPECT_NE(r.ruleset.find("tcp dport 2376 counter drop"), std::string::npos);
  auto v4 = firewall_rules(Firewall::nftables, {parse_network("10.0.0.0/8")}, 2376);
  EXPECT_EQ(v4.ruleset.find("allowed_v6"), std::string::npos);
}

}  // namespace
}  // namespace dockgate::setup
