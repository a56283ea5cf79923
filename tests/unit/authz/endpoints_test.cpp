// Routing as the engine routes: version prefix, image names with slashes, HEAD, and refused paths.
#include "authz/endpoints.hpp"

#include <gtest/gtest.h>

namespace dockgate::authz {
namespace {

std::string name_of(std::string_view method, std::string_view target) {
  Route r = route(method, target);
  if (r.refused) return "refused: " + *r.refused;
  return r.endpoint != nullptr ? r.endpoint->name : "unknown";
}

TEST(Route, MatchesWithAndWithoutVersion) {
  EXPECT_EQ(name_of("POST", "/v1.41/containers/create?name=x"), "container.create");
  EXPECT_EQ(name_of("POST", "/containers/create"), "container.create");
  EXPECT_EQ(name_of("GET", "/v1.41/containers/abc/json"), "container.inspect");
  EXPECT_EQ(name_of("GET", "/images/library/busybox/json"), "image.inspect");
  EXPECT_EQ(name_of("DELETE", "/images/registry:5000/a/b:tag"), "image.remove");
  EXPECT_EQ(name_of("HEAD", "/_ping"), "system.ping");
  EXPECT_EQ(name_of("HEAD", "/containers/x/archive?path=/"), "container.archive.stat");
  EXPECT_EQ(name_of("GET", "/containers/x/archive?path=/"), "container.archive.get");
  EXPECT_EQ(name_of("GET", "/Containers/json"), "unknown");
}

TEST(Route, RefusesPathsTheEngineMightReadDifferently) {
  EXPECT_EQ(name_of("POST", "/v1.41/images/../containers/create"), "refused: a dot segment (. or ..)");
  EXPECT_EQ(name_of("POST", "/v1.41//containers/create"), "refused: an empty segment (//)");
  EXPECT_EQ(name_of("POST", "/containers%2Fcreate"), "refused: percent-encoding");
  EXPECT_EQ(name_of("POST", "/containers\\create"), "refused: a backslash");
}

TEST(QueryValue, FollowsGoParseQuery) {
  EXPECT_EQ(query_value("networkmode=%68ost", "networkmode"), "host");
  EXPECT_EQ(query_value("a=1&networkmode=host&networkmode=bridge", "networkmode"), "host");
  EXPECT_EQ(query_value("networkmode=%zz&networkmode=host", "networkmode"), "host");  // bad pair skipped
  EXPECT_EQ(query_value("networkmode=host;x=1", "networkmode"), "");                  // ';' pair skipped
  EXPECT_EQ(query_value("t=a+b", "t"), "a b");
}

}  // namespace
}  // namespace dockgate::authz
