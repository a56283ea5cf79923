// A strict recursive-descent JSON parser that keeps every member (duplicates and order), and Go's field
// matching over the result. It is on the path of every inspected request, so it copies nothing it does not
// have to: strings without escapes are views into the body, and runs of plain ASCII inside strings are
// skipped 16 bytes at a time.
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

// Whether `key` folds to `field` (one of our ASCII field names), without allocating.
bool fold_equal(std::string_view key, std::string_view field) {
  size_t i = 0, j = 0;
  while (i < key.size() && j < field.size()) {
    if (fold_next(key, i) != fold_next(field, j)) return false;
  }
  return i == key.size() && j == field.size();
}

}  // namespace

class JsonParser {
 public:
  JsonParser(std::string_view text, std::vector<std::unique_ptr<std::string>>& decoded)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()), decoded_(decoded) {}

  void document(JsonValue& root) {
    skip_space();
    value(root, 0);
    skip_space();
    if (p_ != end_) fail("data after the JSON document");
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

  // Parses the value at p_ into `v` (freshly constructed, in its final place: nothing is moved).
  void value(JsonValue& v, int depth) {
    if (p_ == end_) fail("unexpected end");
    switch (*p_) {
      case '{':
        if (depth >= kMaxDepth) fail("nested too deeply");
        v.kind = JsonValue::Kind::object;
        object(v, depth + 1);
        break;
      case '[':
        if (depth >= kMaxDepth) fail("nested too deeply");
        v.kind = JsonValue::Kind::array;
        array(v, depth + 1);
        break;
      case '"':
        v.kind = JsonValue::Kind::string;
        v.string = string();
        break;
      case 't':
        expect_word("true", 4);
        v.kind = JsonValue::Kind::boolean;
        v.boolean = true;
        break;
      case 'f':
        expect_word("false", 5);
        v.kind = JsonValue::Kind::boolean;
        break;
      case 'n':
        expect_word("null", 4);
        break;
      default:
        v.kind = JsonValue::Kind::number;
        v.number = number();
    }
  }

  void object(JsonValue& v, int depth) {
    ++p_;  // {
    skip_space();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return;
    }
    v.members.reserve(8);
    while (true) {
      skip_space();
      if (p_ == end_ || *p_ != '"') fail("expected a string key");
      std::string_view key = string();
      skip_space();
      if (p_ == end_ || *p_ != ':') fail("expected ':'");
      ++p_;
      skip_space();
      value(v.members.emplace_back(key, JsonValue{}).second, depth);
      skip_space();
      if (p_ == end_) fail("unexpected end in an object");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ != '}') fail("expected ',' or '}'");
      ++p_;
      return;
    }
  }

  void array(JsonValue& v, int depth) {
    ++p_;  // [
    skip_space();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return;
    }
    while (true) {
      skip_space();
      value(v.items.emplace_back(), depth);
      skip_space();
      if (p_ == end_) fail("unexpected end in an array");
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ != ']') fail("expected ',' or ']'");
      ++p_;
      return;
    }
  }

  // JSON's number grammar, then the value.
  double number() {
    const char* start = p_;
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
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') fail("a digit must follow the exponent");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
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
        case 'u': {
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
          append_utf8(out, cp);
          break;
        }
        default:
          fail("bad escape");
      }
    }
    decoded_.push_back(std::move(owned));
    return *decoded_.back();
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  std::vector<std::unique_ptr<std::string>>& decoded_;
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

// FNV-1a over the folded form of a key, so that keys that fold alike hash alike.
std::uint64_t folded_hash(std::string_view key) {
  std::uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < key.size();)
    h = (h ^ static_cast<unsigned char>(fold_next(key, i))) * 1099511628211ull;
  return h;
}

constexpr size_t kIndexFrom = 12;  // smaller objects are scanned; an index costs more than it saves

}  // namespace

const JsonValue* JsonValue::field(std::string_view name) const {
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
  if (members.size() >= kIndexFrom) {
    // The sandbox asks dozens of fields of HostConfig and the body: hash every key once, then each lookup
    // is a binary search.
    if (!owned_) owned_ = std::make_shared<Owned>();
    auto& index = owned_->index;
    if (index.empty()) {
      index.reserve(members.size());
      for (size_t i = 0; i < members.size(); ++i) {
        index.emplace_back(folded_hash(members[i].first), static_cast<std::uint32_t>(i));
      }
      std::sort(index.begin(), index.end());
    }
    std::uint64_t h = folded_hash(name);
    for (auto it =
             std::lower_bound(index.begin(), index.end(), std::pair<std::uint64_t, std::uint32_t>{h, 0});
         it != index.end() && it->first == h; ++it) {
      if (fold_equal(members[it->second].first, name)) take(it->second);
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
  auto merged = std::make_shared<JsonValue>();
  merged->kind = Kind::object;
  for (size_t n = 0; n < count; ++n) {
    const JsonValue& v = members[found[n]].second;
    if (v.kind == Kind::object)
      merged->members.insert(merged->members.end(), v.members.begin(), v.members.end());
  }
  if (!owned_) owned_ = std::make_shared<Owned>();
  owned_->merged.push_back(std::move(merged));
  return owned_->merged.back().get();
}

bool JsonValue::is_set() const {
  switch (kind) {
    case Kind::array:
      return !items.empty();
    case Kind::object:
      return !members.empty();
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
  JsonValue root;
  std::vector<std::unique_ptr<std::string>> decoded;
  JsonParser(text, decoded).document(root);
  if (!decoded.empty()) {
    root.owned_ = std::make_shared<JsonValue::Owned>();
    root.owned_->decoded = std::move(decoded);
  }
  return root;
}

}  // namespace dockgate::authz
