// Bodies read as the engine's Go decoder reads them.
#include "authz/go_json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

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

// Names of letters are compared a word at a time (eight or four bytes, the last word overlapping): every
// length, every position of a differing byte, in small objects (scanned) and large ones (indexed).
TEST(GoJson, FieldNamesOfEveryLengthMatchOnlyTheirFolds) {
  static_assert(FieldName("HostConfig").hash() == detail::folded_hash("HostConfig"));
  const std::string letters = "PrivilegedHostConfigMounts";
  for (size_t n = 1; n <= letters.size(); ++n) {
    const std::string name = letters.substr(0, n);
    std::string swapped = name;  // every letter's case flipped
    for (char& c : swapped) c = static_cast<char>(c ^ 0x20);
    for (size_t at = 0; at < n; ++at) {
      std::string near = swapped;
      near[at] = near[at] == 'z' ? 'y' : static_cast<char>(near[at] + 1);
      for (int filler : {0, 20}) {  // 20 other members: the object is indexed
        std::string body = "{";
        for (int i = 0; i < filler; ++i) body += "\"other" + std::to_string(i) + "\":0,";
        body += "\"" + near + "\":1,\"" + swapped + "\":2}";
        JsonValue v = parse_go_json(body);
        const JsonValue* found = v.field(FieldName(name));
        ASSERT_NE(found, nullptr) << name << " in " << body;
        EXPECT_EQ(found->number, 2) << name << " in " << body;
        ASSERT_NE(v.field(FieldName(near)), nullptr) << near << " in " << body;
        EXPECT_EQ(v.field(FieldName(near))->number, 1) << near << " in " << body;
      }
    }
  }
  // A key of the same length with a non-ASCII byte is no fold of a name of letters.
  EXPECT_EQ(parse_go_json("{\"Bin\xc3\xa9\":true}").field("Binde"), nullptr);
  EXPECT_NE(parse_go_json("{\"Bind\xc5\xbf\":true}").field("Binds"), nullptr);
}

TEST(GoJson, RefusesWhatGoWouldReadDifferently) {
  EXPECT_THROW(parse_go_json(R"({"Image":"a"} {"HostConfig":{}})"), JsonError);  // trailing document
  EXPECT_THROW(parse_go_json("{\"a\":"), JsonError);
  EXPECT_THROW(parse_go_json(std::string(100, '[') + std::string(100, ']')), JsonError);  // too deep
}

TEST(GoJson, StrictGrammarAndUtf8) {
  for (const char* bad :
       {"\xEF\xBB\xBF{}", R"({"a":01})", R"({"a":1.})", R"({"a":.5})", R"({"a":-})", R"({"a":+1})",
        R"({"a":"\x"})", R"({"a":"\ud800"})", R"({"a":"\udc00x"})", "{\"a\":\"\xC0\xAF\"}",
        "{\"a\":\"\xED\xA0\x80\"}", "{\"a\":\"tab\there\"}", R"({"a":tru})", R"({"a" 1})", R"([1,])",
        R"({,})", R"({"a":1,})", R"({"a":1e400})", ""}) {
    EXPECT_THROW(parse_go_json(bad), JsonError) << bad;
  }
  JsonValue v = parse_go_json(R"( {"n": -0.5e+2, "s": "caf\u00e9 \ud83d\ude00 \"q\" \/", "u": ")"
                              "\xc3\xa9\xf0\x9f\x98\x80"
                              R"(", "b": [true, false, null]} )");
  EXPECT_EQ(v.field("n")->number, -50);
  EXPECT_EQ(v.field("s")->string, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" /");
  EXPECT_EQ(v.field("u")->string, "\xc3\xa9\xf0\x9f\x98\x80");
  ASSERT_EQ(v.field("b")->items().size(), 3u);
  EXPECT_TRUE(v.field("b")->items()[0].is_true());
}

TEST(GoJson, ManyKeysAndRepeatsUseTheIndexTheSameWay) {
  std::string body = "{";
  for (int i = 0; i < 40; ++i) body += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ", ";
  body += R"("PRIVILEGED": false, "HostConfig": {"A": 1}, "hostconfig": {"B": 2}, "privileged": true})";
  JsonValue v = parse_go_json(body);
  EXPECT_TRUE(v.field("Privileged")->is_true());  // the last of the two spellings
  EXPECT_EQ(v.field("k39")->number, 39);
  EXPECT_EQ(v.field("missing"), nullptr);
  const JsonValue* h = v.field("HostConfig");
  ASSERT_NE(h, nullptr);
  EXPECT_NE(h->field("A"), nullptr);
  EXPECT_NE(h->field("B"), nullptr);

  std::string repeated = "{";
  for (int i = 0; i < 12; ++i) repeated += R"("Privileged": false, )";
  repeated += R"("Privileged": true})";
  EXPECT_TRUE(parse_go_json(repeated).field("privileged")->is_true());
}

TEST(GoJson, UnreadLevelsAreSkippedAndCheckedWhenRead) {
  // Go's decoder refuses the whole document before setting any field, so what is never read may wait.
  JsonValue v = parse_go_json(R"({"Env":[1,,2],"HostConfig":{"Privileged":true}})");
  EXPECT_TRUE(v.field("HostConfig")->field("Privileged")->is_true());
  EXPECT_THROW((void)v.field("Env")->items(), JsonError);
  EXPECT_THROW((void)v.field("Env")->items(), JsonError);  // and again: nothing half-built is kept

  // Brackets, escaped quotes and backslashes inside strings do not end a skipped level.
  JsonValue s = parse_go_json(R"({"Labels":{"a":"}]\"{[","b\\":"\\","c":["]"]},"Privileged":true})");
  EXPECT_TRUE(s.field("Privileged")->is_true());
  ASSERT_EQ(s.field("Labels")->members().size(), 3u);
  EXPECT_EQ(s.field("Labels")->members()[0].second.string, "}]\"{[");

  // The skip still finds where a level ends, and says so when it does not.
  EXPECT_THROW(parse_go_json(R"({"Env":["a"},"Privileged":true})"), JsonError);  // ] expected
  EXPECT_THROW(parse_go_json(R"({"Env":["a]"})"), JsonError);                    // in a string
  EXPECT_THROW(parse_go_json(R"({"Env":[)" + std::string(200, ' ')), JsonError);
  // 64 levels (the root is one) are read; 65 are refused even where they are not read.
  EXPECT_NO_THROW(parse_go_json("{\"a\":" + std::string(63, '[') + std::string(63, ']') + "}"));
  EXPECT_THROW(parse_go_json("{\"a\":" + std::string(64, '[') + std::string(64, ']') + "}"), JsonError);
}

// The skip works on 64-byte blocks counted from the skipped bracket, with an escape or a string able to
// straddle two of them, and blocks without any bracket taken in one step: move a string full of escapes and
// brackets across every offset of a block (and keep the level's closing bracket alone in its block), with
// each scanner.
TEST(GoJson, SkippingIsExactAtEveryOffsetOfABlock) {
  for (bool avx2 : {false, true}) {
    bool was = use_avx2_skip_for_tests(avx2);
    for (size_t pad = 0; pad < 200; ++pad) {
      SCOPED_TRACE("pad " + std::to_string(pad) + (avx2 ? ", AVX2" : ", SSE2"));
      std::string body = R"({"Env":[")" + std::string(pad, 'x') +
                         R"(q\"]\\","\\\\\"}{",{"k":["\\"]}],"Pad":")" + std::string(80, 'y') +
                         R"(","Privileged":true})";
      JsonValue v = parse_go_json(body);
      const JsonValue* privileged = v.field("Privileged");
      ASSERT_TRUE(privileged != nullptr && privileged->is_true());
      ASSERT_NE(v.field("Env"), nullptr);
      const auto& env = v.field("Env")->items();
      ASSERT_EQ(env.size(), 3u);
      EXPECT_EQ(env[0].string, std::string(pad, 'x') + "q\"]\\");
      EXPECT_EQ(env[1].string, "\\\\\"}{");
      ASSERT_NE(env[2].field("k"), nullptr);
      EXPECT_EQ(env[2].field("k")->items().at(0).string, "\\");
      // An escaped quote across a block boundary, then a block with no backslash and a bracket in the
      // string.
      std::string quoted = std::string(pad, 'x') + R"(\")" + std::string(70, 'z') + "]";
      std::string text =
          R"({"Env":[")" + quoted + R"("],"Pad":")" + std::string(80, 'y') + R"(","Privileged":true})";
      JsonValue w = parse_go_json(text);  // views into `text`, which must outlive them
      privileged = w.field("Privileged");
      ASSERT_TRUE(privileged != nullptr && privileged->is_true());
      ASSERT_NE(w.field("Env"), nullptr);
      ASSERT_EQ(w.field("Env")->items().size(), 1u);
      EXPECT_EQ(w.field("Env")->items()[0].string.size(), quoted.size() - 1);
      // '|' looks like a bracket to the first test of a block; the exact one after it must tell them apart.
      std::string piped = std::string(pad, 'x') + "|a||b|" + std::string(130, 'p') + "|";
      std::string text2 = R"({"Env":[")" + piped + R"("],"Privileged":true})";
      JsonValue p = parse_go_json(text2);
      privileged = p.field("Privileged");
      ASSERT_TRUE(privileged != nullptr && privileged->is_true());
      ASSERT_EQ(p.field("Env")->items().size(), 1u);
      EXPECT_EQ(p.field("Env")->items()[0].string, piped);
    }
    use_avx2_skip_for_tests(was);
  }
}

// A canonical text of a whole document, every member in order and duplicates kept: from our tree, built
// level by level on demand, and from nlohmann's SAX events, so the two can be compared.
void canonical(const JsonValue& v, std::string& out) {
  switch (v.kind) {
    case JsonValue::Kind::null:
      out += "n";
      break;
    case JsonValue::Kind::boolean:
      out += v.boolean ? "t" : "f";
      break;
    case JsonValue::Kind::number:
      out += "#" + std::to_string(v.number);
      break;
    case JsonValue::Kind::string:
      out += "s" + std::to_string(v.string.size()) + ":" + std::string(v.string);
      break;
    case JsonValue::Kind::array:
      out += "[";
      for (const auto& item : v.items()) canonical(item, out);
      out += "]";
      break;
    case JsonValue::Kind::object:
      out += "{";
      for (const auto& [key, member] : v.members()) {
        out += "k" + std::to_string(key.size()) + ":" + std::string(key);
        canonical(member, out);
      }
      out += "}";
      break;
  }
}

struct CanonicalSax : nlohmann::json_sax<nlohmann::json> {
  std::string out;
  bool null() override { return out += "n", true; }
  bool boolean(bool b) override { return out += b ? "t" : "f", true; }
  bool number_integer(number_integer_t n) override { return out += "#" + std::to_string(double(n)), true; }
  bool number_unsigned(number_unsigned_t n) override { return out += "#" + std::to_string(double(n)), true; }
  bool number_float(number_float_t d, const string_t&) override {
    return out += "#" + std::to_string(d), true;
  }
  bool string(string_t& s) override { return out += "s" + std::to_string(s.size()) + ":" + s, true; }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return out += "{", true; }
  bool key(string_t& k) override { return out += "k" + std::to_string(k.size()) + ":" + k, true; }
  bool end_object() override { return out += "}", true; }
  bool start_array(std::size_t) override { return out += "[", true; }
  bool end_array() override { return out += "]", true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }
};

// Differential check against nlohmann's parser: randomly mutated documents are accepted by our parser
// exactly when they are RFC 8259 JSON (nlohmann accepts a UTF-8 BOM, which Go and we refuse), and what is
// accepted reads the same, every level built. Three million mutations ran clean under ASan and UBSan when
// the parser was written; this keeps a sample.
TEST(GoJson, FieldsInOnePassAnswerAsFieldDoes) {
  static constexpr FieldSet kSet({"Privileged", "Binds", "Name", "Skip", "Kind", "A", "NetworkMode",
                                  "PidMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupnsMode", "Sysctls",
                                  "Runtime"});
  std::string many = "{";
  for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  many += R"("networkmode":"a","NetworkMode":"b","pidmode":{"x":1},"PIDMODE":{"y":2},"utsmode":null,)"
          R"("Sysctls":{},"runtime":"runc","IpcMode":"host"})";
  const std::vector<std::string> docs = {
      R"({"privileged":true,"PRIVILEGED":false,"binds":["/a"],"x":1})",
      R"({"Name":{"a":1},"name":{"b":2},"NAME":null,"nAmE":{"c":3}})",     // merged objects
      "{\"\xc5\xbfkip\":1,\"\xe2\x84\xaaind\":\"k\",\"skip\":2,\"a\":3}",  // ſ and the Kelvin sign
      R"({"a":1,"A":2,"Privileged":"yes","Kind":[1]})",
      many,
      R"({})",
      R"([{"Name":1}])",
      R"("Name")"};
  for (const auto& text : docs) {
    SCOPED_TRACE(text);
    JsonValue v = parse_go_json(text);
    const auto found = v.fields(kSet);
    for (size_t i = 0; i < kSet.names().size(); ++i) {
      const JsonValue* want = v.field(kSet.names()[i]);
      SCOPED_TRACE(std::string(kSet.names()[i].text()));
      ASSERT_EQ(found[i] == nullptr, want == nullptr);
      if (want == nullptr) continue;
      std::string got_text, want_text;
      canonical(*found[i], got_text);
      canonical(*want, want_text);
      EXPECT_EQ(got_text, want_text);
    }
  }
}

TEST(GoJson, AcceptsExactlyWhatRfc8259Accepts) {
  std::mt19937 rng(7);
  std::string long_seed = R"({"Image":"busybox","Env":[)";
  for (int i = 0; i < 12; ++i) long_seed += R"("A\"]=\\[{)" + std::to_string(i) + R"(",)";
  long_seed += R"({"x":[[],{}]}],"HostConfig":{"Binds":["/a:/b"],"Privileged":false},"Labels":{"k\\":"v}"}})";
  const std::vector<std::string> seeds = {
      long_seed,
      R"({"HostConfig":{"Privileged":true,"Binds":["/a:/b"]},"Env":["A=1"],"n":-1.5e3,"s":"caf\u00e9\ud83d\ude00"})",
      "{\"k\xc5\xbf\":\"\xe2\x84\xaa\",\"a\":[[[[]]]],\"b\":{},\"t\":[true,false,null]}",
      R"({"a":"0123456789abcdef0123456789abcdef\"\\"})"};
  const std::string alphabet =
      "{}[]|\",:\\u0123456789abcdefABCDEFtrunlsx.eE+- \t\n\xc5\xbf\xe2\x84\xaa\xf0\x9f\x98\x80\x80\xff";
  bool was = use_avx2_skip_for_tests(false);
  for (int iter = 0; iter < 40000; ++iter) {
    if (iter == 20000) use_avx2_skip_for_tests(true);  // each scanner takes half
    std::string s = seeds[rng() % seeds.size()];
    for (int e = 0, edits = 1 + static_cast<int>(rng() % 4); e < edits && !s.empty(); ++e) {
      size_t pos = rng() % (s.size() + 1);
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          s.insert(pos, 1, c);
          break;
        case 1:
          if (pos < s.size()) s.erase(pos, 1);
          break;
        default:
          if (pos < s.size()) s[pos] = c;
      }
    }
    bool ours = true;
    std::string ours_text;
    try {
      JsonValue v = parse_go_json(s);
      (void)v.field("hostconfig");
      canonical(v, ours_text);
    } catch (const JsonError&) {
      ours = false;
    }
    ASSERT_EQ(ours, nlohmann::json::accept(s)) << s;
    if (ours) {
      CanonicalSax sax;
      ASSERT_TRUE(nlohmann::json::sax_parse(s, &sax));
      ASSERT_EQ(ours_text, sax.out) << s;
    }
  }
  use_avx2_skip_for_tests(was);
}

}  // namespace
}  // namespace dockgate::authz
