// A strict JSON parser in two passes, and Go's field matching over the result. The first pass checks the
// whole document and notes where each object and array ends; an object's or array's members are built
// later, one level at a time, when the sandbox asks for them. It is on the path of every inspected request,
// so it copies nothing it does not have to: strings without escapes are views into the body, and runs of
// plain ASCII inside strings are skipped 16 bytes at a time.
#include "authz/go_json.hpp"

#include <emmintrin.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace dockgate::authz {
namespace {

constexpr int kMaxDepth = 64;  // deeper than any Docker API body; refuse rather than recurse

// Go 1.19's encoding/json field matching: ASCII letters fold to lower case, and two non-ASCII letters fold
// to ASCII ones: U+017F (ſ) to 's' and U+212A (Kelvin sign) to 'k'. Returns the folded form of the
// character at key[i] and advances i past it.
char fold_next(std::string_view key, size_t& i) {
  auto c = static_cast<unsigned char>(key[i]);
  if (c == 0xC5 && i + 1 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0xBF) {
    i += 2;
    return 's';
  }
  if (c == 0xE2 && i + 2 < key.size() && static_cast<unsigned char>(key[i + 1]) == 0x84 &&
      static_cast<unsigned char>(key[i + 2]) == 0xAA) {
    i += 3;
    return 'k';
  }
  ++i;
  return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

char ascii_lower(unsigned char c) {
  return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

// Whether `key` folds to `field` (one of our ASCII field names), without allocating.
bool fold_equal(std::string_view key, std::string_view field) {
  if (key.size() == field.size()) {
    // Plain ASCII folds one byte to one byte: compare in place, and fall back only at a non-ASCII byte.
    size_t i = 0;
    for (; i < key.size(); ++i) {
      auto a = static_cast<unsigned char>(key[i]), b = static_cast<unsigned char>(field[i]);
      if (a >= 0x80 || b >= 0x80) break;
      if (a != b && ascii_lower(a) != ascii_lower(b)) return false;
    }
    if (i == key.size()) return true;
  }
  size_t i = 0, j = 0;
  while (i < key.size() && j < field.size()) {
    if (fold_next(key, i) != fold_next(field, j)) return false;
  }
  return i == key.size() && j == field.size();
}

}  // namespace

struct JsonValue::Document {
  std::string_view text;
  // Every object and array in document order: where it starts ('{' or '['), where it ends (one past the
  // closing bracket), and the index of the first one after it (so a parent skips a child's subtree).
  struct Container {
    std::uint32_t begin = 0, end = 0, next = 0;
  };
  std::vector<Container> containers;
  std::vector<std::unique_ptr<std::string>> decoded;  // strings that had escapes
};

class JsonParser {
 public:
  explicit JsonParser(JsonValue::Document& doc)
      : doc_(doc), begin_(doc.text.data()), p_(begin_), end_(begin_ + doc.text.size()) {}

  // The first pass: the whole text, strictly; records every container.
  void check_document() {
    if (doc_.text.size() >= UINT32_MAX) fail("document too large");
    skip_space();
    check_value(0);
    skip_space();
    if (p_ != end_) fail("data after the JSON document");
  }

  // The value at the start of the (checked) text, whose containers, if any, are built later.
  void root(JsonValue& v, const std::shared_ptr<JsonValue::Document>& doc) {
    skip_space();
    std::uint32_t next = 0;
    value(v, next, doc);
  }

  // One level of a checked container: its members or items, nested containers left unbuilt.
  void build(const JsonValue& v, JsonValue::Children& out) {
    const auto& c = doc_.containers[v.container_];
    p_ = begin_ + c.begin + 1;
    std::uint32_t next = v.container_ + 1;
    skip_space();
    if (v.kind == JsonValue::Kind::object) {
      while (*p_ != '}') {
        std::string_view key = string();
        skip_space();
        ++p_;  // :
        skip_space();
        value(out.members.emplace_back(key, JsonValue{}).second, next, v.doc_);
        skip_space();
        if (*p_ == ',') ++p_;
        skip_space();
      }
    } else {
      while (*p_ != ']') {
        value(out.items.emplace_back(), next, v.doc_);
        skip_space();
        if (*p_ == ',') ++p_;
        skip_space();
      }
    }
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw JsonError("invalid JSON at byte " + std::to_string(p_ - begin_) + ": " + what);
  }

  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  void expect_word(const char* word, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) fail("unexpected character");
    p_ += n;
  }

  std::uint32_t offset() const { return static_cast<std::uint32_t>(p_ - begin_); }

  // ---- the first pass ----

  void check_value(int depth) {
    if (p_ == end_) fail("unexpected end");
    switch (*p_) {
      case '{':
      case '[':
        if (depth >= kMaxDepth) fail("nested too deeply");
        check_container(depth + 1);
        break;
      case '"':
        check_string();
        break;
      case 't':
        expect_word("true", 4);
        break;
      case 'f':
        expect_word("false", 5);
        break;
      case 'n':
        expect_word("null", 4);
        break;
      default:
        number(false);
    }
  }

  void check_container(int depth) {
    const bool object = *p_ == '{';
    const char close = object ? '}' : ']';
    auto index = doc_.containers.size();
    doc_.containers.push_back({offset(), 0, 0});
    ++p_;
    skip_space();
    if (p_ != end_ && *p_ == close) {
      ++p_;
    } else {
      while (true) {
        skip_space();
        if (object) {
          if (p_ == end_ || *p_ != '"') fail("expected a string key");
          check_string();
          skip_space();
          if (p_ == end_ || *p_ != ':') fail("expected ':'");
          ++p_;
          skip_space();
        }
        check_value(depth);
        skip_space();
        if (p_ == end_) fail(object ? "unexpected end in an object" : "unexpected end in an array");
        if (*p_ == ',') {
          ++p_;
          continue;
        }
        if (*p_ != close) fail(object ? "expected ',' or '}'" : "expected ',' or ']'");
        ++p_;
        break;
      }
    }
    doc_.containers[index].end = offset();
    doc_.containers[index].next = static_cast<std::uint32_t>(doc_.containers.size());
  }

  // A string at p_ (on its opening quote), checked but not decoded.
  void check_string() {
    ++p_;  // "
    while (true) {
      skip_plain();
      if (p_ == end_) fail("unterminated string");
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return;
      }
      if (c < 0x20) fail("control character in a string");
      if (c >= 0x80) {
        utf8(nullptr);
        continue;
      }
      // A backslash.
      if (++p_ == end_) fail("unterminated string");
      char e = *p_++;
      if (e == 'u') {
        (void)escaped_code_point();
      } else if (std::strchr("\"\\/bfnrt", e) == nullptr || e == 0) {
        fail("bad escape");
      }
    }
  }

  // ---- building, on checked text ----

  // The value at p_ into `v`; a nested container becomes the document's container `next`, skipped over.
  void value(JsonValue& v, std::uint32_t& next, const std::shared_ptr<JsonValue::Document>& doc) {
    switch (*p_) {
      case '{':
      case '[': {
        v.kind = *p_ == '{' ? JsonValue::Kind::object : JsonValue::Kind::array;
        v.doc_ = doc;
        v.container_ = next;
        const auto& c = doc_.containers[next];
        p_ = begin_ + c.end;
        next = c.next;
        break;
      }
      case '"':
        v.kind = JsonValue::Kind::string;
        v.string = string();
        break;
      case 't':
        p_ += 4;
        v.kind = JsonValue::Kind::boolean;
        v.boolean = true;
        break;
      case 'f':
        p_ += 5;
        v.kind = JsonValue::Kind::boolean;
        break;
      case 'n':
        p_ += 4;
        break;
      default:
        v.kind = JsonValue::Kind::number;
        v.number = number(true);
    }
  }

  // JSON's number grammar, then (when `value`, or when it might be out of float64's range) the value.
  double number(bool value) {
    const char* start = p_;
    bool exponent = false;
    if (p_ != end_ && *p_ == '-') ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') fail("unexpected character");
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') fail("a digit must follow '.'");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      exponent = true;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') fail("a digit must follow the exponent");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    // Fifteen characters without an exponent cannot leave float64's range either way.
    if (!value && !exponent && p_ - start <= 15) return 0;
    double d = 0;
    auto [ptr, ec] = std::from_chars(start, p_, d);
    // Go's decoder refuses a number out of float64's range (strconv.ErrRange), so the engine would too.
    if (ec == std::errc::result_out_of_range) fail("number out of range");
    if (ec != std::errc() || ptr != p_) fail("bad number");
    return d;
  }
  // Advances over plain ASCII string bytes (not '"', '\\', control or non-ASCII), 16 at a time.
  void skip_plain() {
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
    while (end_ - p_ >= 16) {
      __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      // Control bytes: b < 0x20 as unsigned, i.e. max(b, 0x20) != b. Non-ASCII: the sign bit.
      __m128i special =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, backslash)),
                       _mm_xor_si128(_mm_cmpeq_epi8(_mm_max_epu8(b, space), b), _mm_set1_epi8(-1)));
      int mask = _mm_movemask_epi8(special) | _mm_movemask_epi8(b);
      if (mask != 0) {
        p_ += __builtin_ctz(static_cast<unsigned>(mask));
        return;
      }
      p_ += 16;
    }
    while (p_ != end_) {
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return;
      ++p_;
    }
  }

  // One UTF-8 sequence starting at p_ (a byte >= 0x80), checked strictly (no overlongs, no surrogates,
  // nothing past U+10FFFF); appended to `out` when given.
  void utf8(std::string* out) {
    auto c = static_cast<unsigned char>(*p_);
    int n;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07u;
    } else {
      fail("invalid UTF-8");
    }
    if (end_ - p_ <= n) fail("invalid UTF-8");
    for (int i = 1; i <= n; ++i) {
      auto cc = static_cast<unsigned char>(p_[i]);
      if ((cc & 0xC0) != 0x80) fail("invalid UTF-8");
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
      fail("invalid UTF-8");
    }
    if (out != nullptr) out->append(p_, static_cast<size_t>(n) + 1);
    p_ += n + 1;
  }

  unsigned hex4() {
    if (end_ - p_ < 4) fail("short \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = *p_++;
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail("bad \\u escape");
      }
    }
    return v;
  }

  // The code point of a \\u escape at p_ (just past the 'u'), with its low surrogate if it needs one.
  unsigned escaped_code_point() {
    unsigned cp = hex4();
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') fail("lone surrogate in \\u escape");
      p_ += 2;
      unsigned low = hex4();
      if (low < 0xDC00 || low > 0xDFFF) fail("lone surrogate in \\u escape");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      fail("lone surrogate in \\u escape");
    }
    return cp;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // A string at p_ (on its opening quote). Without escapes: a view into the text. With escapes: decoded
  // into a copy that the document owns.
  std::string_view string() {
    ++p_;  // "
    const char* start = p_;
    while (true) {
      skip_plain();
      if (p_ == end_) fail("unterminated string");
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        std::string_view s(start, static_cast<size_t>(p_ - start));
        ++p_;
        return s;
      }
      if (c == '\\') break;
      if (c < 0x20) fail("control character in a string");
      utf8(nullptr);
    }
    auto owned = std::make_unique<std::string>(start, static_cast<size_t>(p_ - start));
    std::string& out = *owned;
    while (true) {
      if (p_ == end_) fail("unterminated string");
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        break;
      }
      if (c < 0x20) fail("control character in a string");
      if (c >= 0x80) {
        utf8(&out);
        continue;
      }
      if (c != '\\') {
        out += static_cast<char>(c);
        ++p_;
        continue;
      }
      if (++p_ == end_) fail("unterminated string");
      char e = *p_++;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          append_utf8(out, escaped_code_point());
          break;
        default:
          fail("bad escape");
      }
    }
    doc_.decoded.push_back(std::move(owned));
    return *doc_.decoded.back();
  }

  JsonValue::Document& doc_;
  const char* begin_;
  const char* p_;
  const char* end_;
};

namespace {

// Whether `key` can fold to `name` at all: an ASCII key must have the same length; only keys with the
// multi-byte letters that fold to ASCII can be longer. Rejects almost every member in one comparison.
bool may_match(std::string_view key, std::string_view name) {
  if (key.size() == name.size()) return true;
  if (key.size() < name.size()) return false;
  for (char c : key) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

}  // namespace

bool go_fold_equal(std::string_view key, std::string_view field) {
  return fold_equal(key, field);
}

namespace {

bool is_ascii(std::string_view key) {
  unsigned char all = 0;
  for (char c : key) all |= static_cast<unsigned char>(c);
  return all < 0x80;
}

// An ASCII key's index entry: its length and its folded first and last bytes. ASCII folds byte for byte,
// so keys that fold alike share a shape; the comparison after the look-up tells the rest apart. Cheaper to
// take than any hash of the whole key, and it leaves few candidates among one object's members.
std::uint32_t shape(std::string_view key) {
  if (key.empty()) return 0;
  return (static_cast<std::uint32_t>(std::min<size_t>(key.size(), 0xFFFF)) << 16) |
         (static_cast<std::uint32_t>(
              static_cast<unsigned char>(ascii_lower(static_cast<unsigned char>(key.front()))))
          << 8) |
         static_cast<unsigned char>(ascii_lower(static_cast<unsigned char>(key.back())));
}

constexpr size_t kIndexFrom = 12;  // smaller objects are scanned; an index costs more than it saves

}  // namespace

JsonValue::Children& JsonValue::children() const {
  if (!children_) {
    children_ = std::make_shared<Children>();
    if (doc_ && (kind == Kind::object || kind == Kind::array)) JsonParser(*doc_).build(*this, *children_);
  }
  return *children_;
}

const std::vector<JsonValue>& JsonValue::items() const {
  static const std::vector<JsonValue> kNone;
  return kind == Kind::array ? children().items : kNone;
}

const std::vector<JsonValue::Member>& JsonValue::members() const {
  static const std::vector<Member> kNone;
  return kind == Kind::object ? children().members : kNone;
}

const JsonValue* JsonValue::field(std::string_view name) const {
  if (kind != Kind::object) return nullptr;
  Children& c = children();
  const auto& members = c.members;
  // The members whose keys fold to `name`, in document order: inline for the usual one or two, on the
  // heap for a body that repeats a field more often.
  std::uint32_t inline_found[8];
  std::vector<std::uint32_t> many;
  size_t count = 0;
  auto take = [&](std::uint32_t i) {
    if (count < 8) {
      inline_found[count] = i;
    } else {
      if (many.empty()) many.assign(inline_found, inline_found + 8);
      many.push_back(i);
    }
    ++count;
  };
  if (members.size() >= kIndexFrom && is_ascii(name)) {
    // The sandbox asks dozens of fields of HostConfig and the body: index every key once, then each look-up
    // is a binary search. Keys with non-ASCII bytes (which may fold to a shorter ASCII name) are kept
    // aside and compared every time; real bodies have none.
    auto& index = c.index;
    if (index.empty()) {
      index.reserve(members.size());
      for (size_t i = 0; i < members.size(); ++i) {
        std::string_view key = members[i].first;
        if (is_ascii(key)) {
          index.emplace_back(shape(key), static_cast<std::uint32_t>(i));
        } else {
          c.unindexed.push_back(static_cast<std::uint32_t>(i));
        }
      }
      std::sort(index.begin(), index.end());
    }
    const std::uint32_t want = shape(name);
    auto it = std::lower_bound(index.begin(), index.end(), std::pair<std::uint32_t, std::uint32_t>{want, 0});
    auto odd = c.unindexed.begin();
    // Both lists are in document order: merge them, so that the last match is the last in the body.
    while (true) {
      bool more_indexed = it != index.end() && it->first == want;
      bool more_odd = odd != c.unindexed.end();
      if (!more_indexed && !more_odd) break;
      std::uint32_t i = 0;
      if (more_indexed && (!more_odd || it->second < *odd)) {
        i = (it++)->second;
      } else {
        i = *odd++;
      }
      if (fold_equal(members[i].first, name)) take(i);
    }
  } else {
    for (size_t i = 0; i < members.size(); ++i) {
      if (may_match(members[i].first, name) && fold_equal(members[i].first, name))
        take(static_cast<std::uint32_t>(i));
    }
  }
  const std::uint32_t* found = count > 8 ? many.data() : inline_found;
  const JsonValue* last = nullptr;
  const JsonValue* first_object = nullptr;
  size_t objects = 0;
  for (size_t n = 0; n < count; ++n) {
    const JsonValue& v = members[found[n]].second;
    last = &v;
    if (v.kind == Kind::object && objects++ == 0) first_object = &v;
  }
  if (objects <= 1) return objects == 0 ? last : first_object;
  auto merged = std::make_unique<JsonValue>();
  merged->kind = Kind::object;
  merged->children_ = std::make_shared<Children>();
  auto& into = merged->children_->members;
  for (size_t n = 0; n < count; ++n) {
    const JsonValue& v = members[found[n]].second;
    if (v.kind == Kind::object) into.insert(into.end(), v.members().begin(), v.members().end());
  }
  c.merged.push_back(std::move(merged));
  return c.merged.back().get();
}

bool JsonValue::is_set() const {
  switch (kind) {
    case Kind::array:
      return !items().empty();
    case Kind::object:
      return !members().empty();
    case Kind::string:
      return !string.empty();
    case Kind::boolean:
      return boolean;
    case Kind::number:
      return number != 0;
    case Kind::null:
      return false;
  }
  return false;
}

JsonValue parse_go_json(std::string_view text) {
  auto doc = std::make_shared<JsonValue::Document>();
  doc->text = text;
  JsonParser(*doc).check_document();
  JsonValue root;
  JsonParser(*doc).root(root, doc);
  root.doc_ = std::move(doc);  // a string root's decoded copy lives there too
  return root;
}

}  // namespace dockgate::authz
