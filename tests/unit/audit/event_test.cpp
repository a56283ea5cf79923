// Which request headers the audit log withholds: the credential headers in any spelling, and no others.
#include "audit/event.hpp"

#include <gtest/gtest.h>

namespace dockgate::audit {
namespace {

TEST(CredentialHeaders, AreRecognisedInAnyCase) {
  EXPECT_TRUE(is_credential_header("X-Registry-Auth"));
  EXPECT_TRUE(is_credential_header("x-registry-config"));
  EXPECT_TRUE(is_credential_header("AUTHORIZATION"));
  EXPECT_TRUE(is_credential_header("Proxy-Authorization"));
  EXPECT_TRUE(is_credential_header("X-Docker-Expose-Session-Sharedkey"));
}

TEST(CredentialHeaders, OthersAreNot) {
  EXPECT_FALSE(is_credential_header("Host"));
  EXPECT_FALSE(is_credential_header("X-Registry-Auth2"));
  EXPECT_FALSE(is_credential_header("Authorizatio"));
  EXPECT_FALSE(is_credential_header(""));
}

}  // namespace
}  // namespace dockgate::audit
