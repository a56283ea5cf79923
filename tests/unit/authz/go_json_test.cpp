// Bodies read as the engine's Go decoder reads them.
#include "authz/go_json.hpp"

#include <gtest/gtest.h>

namespace dockgate::authz {
namespace {

TEST(GoJson, FieldsMatchCaseInsensitivelyAndTheLastScalarWins) {
  JsonValue v = parse_go_json(R"({"privileged": false, "PRIVILEGED": true})");
  ASSERT_NE(v.field("Privileged"), nullptr);
  EXPECT_TRUE(v.field("Privileged")->is_true());
}

TEST(GoJson, RepeatedObjectsMergeAsGoDecodesIntoTheSameStruct) {
  JsonValue v = parse_go_json(R"({"HostConfig": {"Privileged": true}, "hostconfig": {"Memory": 1}})");
  const JsonValue* h = v.field("HostConfig");
  ASSERT_NE(h, nullptr);
  ASSERT_NE(h->field("Privileged"), nullptr);
  EXPECT_TRUE(h->field("Privileged")->is_true());
  EXPECT_NE(h->field("Memory"), nullptr);
}

TEST(GoJson, EscapesAreDecodedAndGoSpecialFoldsApply) {
  JsonValue v = parse_go_json(R"({"\u0050rivileged": true})");
  EXPECT_TRUE(v.field("Privileged")->is_true());
  EXPECT_TRUE(go_fold_equal("Bind\xc5\xbf", "Binds"));  // U+017F long s folds to s
  EXPECT_TRUE(
      go_fold_equal("Mas\xe2\x84\xaa"
                    "edPaths",
                    "MaskedPaths"));  // U+212A Kelvin sign folds to k
  EXPECT_FALSE(go_fold_equal("Bindz", "Binds"));
}

TEST(GoJson, RefusesWhatGoWouldReadDifferently) {
  EXPECT_THROW(parse_go_json(R"({"Image":"a"} {"HostConfig":{}})"), JsonError);  // trailing document
  EXPECT_THROW(parse_go_json("{\"a\":"), JsonError);
  EXPECT_THROW(parse_go_json(std::string(100, '[') + std::string(100, ']')), JsonError);  // too deep
}

}  // namespace
}  // namespace dockgate::authz
