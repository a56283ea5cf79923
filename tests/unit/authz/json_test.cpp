// The strict JSON parser: what it accepts, what it refuses, and Go's key folding.
#include "authz/json.hpp"

#include <gtest/gtest.h>

namespace dockgate::authz {
namespace {

using Kind = Json::Kind;

TEST(Json, ParsesEveryKindWithViewsAndDecodedStrings) {
  std::string text = R"( {"a":[1,-2.5e3,true,false,null],"b":{"c":"x\u00e9\ud83d\ude00\n"},"a":"dup"} )";
  JsonDocument doc(text);
  const Json& root = doc.root();
  ASSERT_EQ(root.kind, Kind::object);
  ASSERT_EQ(root.members.size(), 3u);  // a repeated key is kept: the schema decides
  EXPECT_EQ(root.members[0].key, "a");
  const Json& a = root.members[0].value;
  ASSERT_EQ(a.items.size(), 5u);
  EXPECT_EQ(a.items[1].text, "-2.5e3");
  EXPECT_TRUE(a.items[2].boolean);
  EXPECT_EQ(a.items[4].kind, Kind::null);
  EXPECT_EQ(root.members[1].value.members[0].value.text, "x\xC3\xA9\xF0\x9F\x98\x80\n");
  EXPECT_EQ(root.members[0].key.data(), text.data() + 3);  // no escapes: a view into the text
  // Plain runs before, between and after escapes and non-ASCII letters are all kept.
  JsonDocument mixed(R"(["plain run \"quoted\" then caf\u00e9 and caf)"
                     "\xC3\xA9"
                     R"(, tab\tend", "\\"])");
  EXPECT_EQ(mixed.root().items[0].text, "plain run \"quoted\" then caf\xC3\xA9 and caf\xC3\xA9, tab\tend");
  EXPECT_EQ(mixed.root().items[1].text, "\\");
}

TEST(Json, RefusesWhatALenientParserWouldGuessAt) {
  for (const char* bad : {"",
                          "{",
                          "{\"a\":1,}",
                          "[1,]",
                          "{\"a\" 1}",
                          "01",
                          "1.",
                          "-",
                          "1e",
                          "+1",
                          "'a'",
                          "\"\\x\"",
                          "\"\\u12\"",
                          "\"\\ud800\"",
                          "\"\\udc00\"",
                          "\"\\ud800\\u0041\"",
                          "\"a\tb\"",
                          "\"\xC3\"",
                          "\"\xC0\xAF\"",
                          "\"\xED\xA0\x80\"",
                          "\"\xF4\x90\x80\x80\"",
                          "tru",
                          "nul",
                          "{} {}",
                          "{}x",
                          "\xEF\xBB\xBF{}",
                          "NaN",
                          "[1 2]"}) {
    EXPECT_THROW(JsonDocument{bad}, JsonError) << bad;
  }
  std::string deep(64, '[');
  deep += std::string(64, ']');
  EXPECT_NO_THROW(JsonDocument{deep});
  std::string deeper(65, '[');
  deeper += std::string(65, ']');
  EXPECT_THROW(JsonDocument{deeper}, JsonError);
}

TEST(Json, ErrorsNameTheOffset) {
  try {
    JsonDocument doc(R"({"a": tru})");
    FAIL();
  } catch (const JsonError& e) {
    EXPECT_NE(std::string(e.what()).find("at byte 6"), std::string::npos) << e.what();
  }
}

TEST(Json, GoFoldsAsciiCaseAndTwoNonAsciiLetters) {
  EXPECT_EQ(go_fold("HostConfig"), "hostconfig");
  EXPECT_EQ(go_fold("Bind\xC5\xBF"), "binds");  // U+017F long s
  EXPECT_EQ(go_fold("\xE2\x84\xAA"
                    "ernel"),
            "kernel");                                 // U+212A Kelvin sign
  EXPECT_EQ(go_fold("Priv\xC3\xAD"), "priv\xC3\xAD");  // other letters only match themselves
}

}  // namespace
}  // namespace dockgate::authz
