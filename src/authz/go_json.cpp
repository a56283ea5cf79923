// A strict JSON parser that works a level at a time, and Go's field matching over the result. Parsing a
// level checks it completely and skips the objects and arrays inside it with a structural scan that takes
// 64 bytes at a time (quotes, escapes and brackets as bit masks), so a large Env or Labels that the sandbox
// never reads costs a few cycles per 64 bytes. It is on the path of every inspected request, so it copies
// nothing it does not have to: strings without escapes are views into the body.
#include "authz/go_json.hpp"

#include <immintrin.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace dockgate::authz {
namespace {

constexpr std::uint32_t kMaxDepth = 64;  // deeper than any Docker API body; refuse rather than recurse

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

// ---- skipping objects and arrays that are not read ----
//
// 64 bytes at a time, as bit masks (one bit per byte): quotes, backslashes and brackets are found with
// vector compares, escaped bytes from the backslashes, the bytes inside strings as the prefix XOR of the
// unescaped quotes, and the brackets outside strings are counted. A block without the closing bracket
// costs a few dozen instructions, whatever its content. The same loop is built for SSE2 (any x86-64) and
// for AVX2 where the processor has it.

struct Skipped {
  enum Stop { closed, too_deep, end } stop;
  const char* at;  // the closing bracket, the bracket nested too deeply, or the end
};

// The masks of one 64-byte block: which bytes are quotes, backslashes, opening and closing brackets.
struct Block {
  std::uint64_t quote, backslash, open, close;
};

// The bytes of a block that a backslash escapes. `carry` says the previous block ended in an escaping
// backslash, and is set when this one does. A backslash that is itself escaped escapes nothing.
inline std::uint64_t escaped_bytes(std::uint64_t backslash, std::uint64_t& carry) {
  std::uint64_t escaped = carry;
  carry = 0;
  std::uint64_t escaping = backslash & ~escaped;
  while (escaping != 0) {
    int i = __builtin_ctzll(escaping);
    if (i == 63) {
      carry = 1;
      break;
    }
    std::uint64_t next = std::uint64_t{1} << (i + 1);
    escaped |= next;
    escaping &= ~((next << 1) - 1);  // what follows the escaped byte
  }
  return escaped;
}

// The number of bits set, without the POPCNT instruction that baseline x86-64 lacks.
[[gnu::always_inline]] inline std::uint32_t bit_count(std::uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555u);
  x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Fu;
  return static_cast<std::uint32_t>((x * 0x0101010101010101u) >> 56);
}

// Bit i set when an odd number of bits 0..i are: the bytes from an opening quote up to its closing one.
[[gnu::always_inline]] inline std::uint64_t prefix_xor(std::uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// Where the scan stands between blocks.
struct SkipState {
  std::uint32_t depth = 1;  // brackets open, the skipped one included
  std::uint64_t in_string = 0, escape_carry = 0;
};

// One block at `p`: true when the skip stops in it (`out` says where and why). `Popcnt`: the caller is
// built for a processor with the POPCNT instruction.
template <bool Popcnt>
[[gnu::always_inline]] inline bool skip_step(const Block& b, const char* p, std::uint32_t level,
                                             SkipState& st, Skipped& out) {
  auto count = [](std::uint64_t x) {
    return Popcnt ? static_cast<std::uint32_t>(__builtin_popcountll(x)) : bit_count(x);
  };
  std::uint64_t escaped =
      (b.backslash | st.escape_carry) != 0 ? escaped_bytes(b.backslash, st.escape_carry) : 0;
  std::uint64_t quotes = b.quote & ~escaped;
  if ((b.open | b.close) == 0) {
    // No bracket at all, as in most of a long Env or Labels: only whether it ends inside a string matters.
    if (count(quotes) & 1) st.in_string = ~st.in_string;
    return false;
  }
  std::uint64_t strings = prefix_xor(quotes) ^ st.in_string;
  st.in_string = static_cast<std::uint64_t>(static_cast<std::int64_t>(strings) >> 63);  // all ones or none
  std::uint64_t opens = b.open & ~strings, closes = b.close & ~strings;
  std::uint32_t n_open = count(opens), n_close = count(closes);
  if (n_close < st.depth && level - 1 + st.depth + n_open <= kMaxDepth) {
    st.depth = st.depth + n_open - n_close;  // neither closes the skipped bracket nor nests too deeply
    return false;
  }
  for (std::uint64_t both = opens | closes; both != 0; both &= both - 1) {
    int i = __builtin_ctzll(both);
    if ((opens >> i) & 1) {
      if (level + st.depth > kMaxDepth) {
        out = {Skipped::too_deep, p + i};
        return true;
      }
      ++st.depth;
    } else if (--st.depth == 0) {
      out = {Skipped::closed, p + i};
      return true;
    }
  }
  return false;
}

// '[' and '{' differ only in bit 0x20, as do ']' and '}': one comparison finds both.
[[gnu::always_inline]] inline Block classify_sse2(const char* p) {
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), case_bit = _mm_set1_epi8(0x20),
                open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}');
  Block b{0, 0, 0, 0};
  for (int i = 0; i < 4; ++i) {
    __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + std::ptrdiff_t{16} * i));
    __m128i folded = _mm_or_si128(bytes, case_bit);
    auto mask = [](__m128i eq) {
      return static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(eq)));
    };
    b.quote |= mask(_mm_cmpeq_epi8(bytes, quote)) << (16 * i);
    b.backslash |= mask(_mm_cmpeq_epi8(bytes, backslash)) << (16 * i);
    b.open |= mask(_mm_cmpeq_epi8(folded, open)) << (16 * i);
    b.close |= mask(_mm_cmpeq_epi8(folded, close)) << (16 * i);
  }
  return b;
}

// The two halves of a block, and the same with bit 0x20 set (which makes '[' '{' and ']' '}').
struct HalvesAvx2 {
  __m256i lo, hi, lo_folded, hi_folded;
};

[[gnu::target("avx2"), gnu::always_inline]] inline HalvesAvx2 load_avx2(const char* p) {
  const __m256i case_bit = _mm256_set1_epi8(0x20);
  HalvesAvx2 h;
  h.lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  h.hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  h.lo_folded = _mm256_or_si256(h.lo, case_bit);
  h.hi_folded = _mm256_or_si256(h.hi, case_bit);
  return h;
}

// Which of the block's 64 bytes equal `c`.
[[gnu::target("avx2"), gnu::always_inline]] inline std::uint64_t mask_avx2(__m256i lo, __m256i hi, char c) {
  const __m256i v = _mm256_set1_epi8(c);
  return std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, v)))} |
         (std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, v)))} << 32);
}

[[gnu::target("avx2"), gnu::always_inline]] inline Block classify_avx2(const HalvesAvx2& h) {
  return {mask_avx2(h.lo, h.hi, '"'), mask_avx2(h.lo, h.hi, '\\'), mask_avx2(h.lo_folded, h.hi_folded, '{'),
          mask_avx2(h.lo_folded, h.hi_folded, '}')};
}

// Each byte's distance above '{' (as an unsigned byte, wrapping) in the folded halves, the nearer of the
// two: 0, 1 or 2 only for '{' '|' '}', which bit 0x20 makes of '[' '\\' ']' too. So one comparison finds
// every backslash and bracket (and '|', a false alarm that the exact path after it sorts out).
[[gnu::target("avx2"), gnu::always_inline]] inline __m256i near_brackets_avx2(const HalvesAvx2& h) {
  const __m256i open = _mm256_set1_epi8('{');
  return _mm256_min_epu8(_mm256_sub_epi8(h.lo_folded, open), _mm256_sub_epi8(h.hi_folded, open));
}

// Whether the blocks whose near_brackets_avx2() distances (combined with _mm256_min_epu8) are `nearest`
// have neither a backslash nor a bracket, as most blocks of a long Env or Labels: then only their quotes
// matter, and one test finds that without building the other masks.
[[gnu::target("avx2"), gnu::always_inline]] inline bool plain_avx2(__m256i nearest) {
  const __m256i special = _mm256_cmpeq_epi8(_mm256_min_epu8(nearest, _mm256_set1_epi8(2)), nearest);
  return _mm256_testz_si256(special, special) != 0;
}

// Whether an odd number of the bytes in `vectors` are quotes. The parity of a sum is the parity of its
// terms' parities, so the compares are XORed together and one mask counted.
template <typename... V>
[[gnu::target("avx2"), gnu::always_inline]] inline bool odd_quotes_avx2(V... vectors) {
  const __m256i quote = _mm256_set1_epi8('"');
  __m256i odd = _mm256_setzero_si256();
  ((odd = _mm256_xor_si256(odd, _mm256_cmpeq_epi8(vectors, quote))), ...);
  return (__builtin_popcount(static_cast<std::uint32_t>(_mm256_movemask_epi8(odd))) & 1) != 0;
}

// The last, short block, padded with spaces (which are none of the bytes looked for).
struct Tail {
  char bytes[64];
  Tail(const char* p, const char* end) {
    std::memset(bytes, ' ', sizeof bytes);
    std::memcpy(bytes, p, static_cast<size_t>(end - p));
  }
};

// The loop twice, for each instruction set: GCC gives a target attribute to a function, not to one
// instantiation of a template, and will not inline AVX2 code into a function built without it.
Skipped skip_blocks_sse2(const char* p, const char* end, std::uint32_t level) {
  SkipState st;
  Skipped out{Skipped::end, end};
  for (; end - p >= 64; p += 64) {
    if (skip_step<false>(classify_sse2(p), p, level, st, out)) return out;
  }
  if (p < end) {
    Tail tail(p, end);
    if (skip_step<false>(classify_sse2(tail.bytes), p, level, st, out)) return out;
  }
  return {Skipped::end, end};
}

[[gnu::target("avx2,popcnt"), gnu::always_inline]] inline bool step_avx2(const HalvesAvx2& h, const char* p,
                                                                         std::uint32_t level, SkipState& st,
                                                                         Skipped& out) {
  if (st.escape_carry == 0 && plain_avx2(near_brackets_avx2(h))) {
    if (odd_quotes_avx2(h.lo, h.hi)) st.in_string = ~st.in_string;
    return false;
  }
  return skip_step<true>(classify_avx2(h), p, level, st, out);
}

[[gnu::target("avx2,popcnt")]] Skipped skip_blocks_avx2(const char* p, const char* end, std::uint32_t level) {
  SkipState st;
  Skipped out{Skipped::end, end};
  while (end - p >= 64) {
    // Two blocks at a time while neither has a backslash or a bracket: the stretch of a long Env or Labels.
    while (end - p >= 128 && st.escape_carry == 0) {
      HalvesAvx2 a = load_avx2(p), b = load_avx2(p + 64);
      if (!plain_avx2(_mm256_min_epu8(near_brackets_avx2(a), near_brackets_avx2(b)))) break;
      if (odd_quotes_avx2(a.lo, a.hi, b.lo, b.hi)) st.in_string = ~st.in_string;
      p += 128;
    }
    if (end - p < 64) break;
    if (step_avx2(load_avx2(p), p, level, st, out)) return out;
    p += 64;
  }
  if (p < end) {
    Tail tail(p, end);
    if (skip_step<true>(classify_avx2(load_avx2(tail.bytes)), p, level, st, out)) return out;
  }
  return {Skipped::end, end};
}

// From just after an opening bracket at nesting level `level` to its closing bracket.
bool avx2_skip = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");

Skipped skip_blocks(const char* p, const char* end, std::uint32_t level) {
  return avx2_skip ? skip_blocks_avx2(p, end, level) : skip_blocks_sse2(p, end, level);
}

}  // namespace

// What a parse builds lives in the document's arena, which starts inside the document: a container-create
// body's top level and HostConfig, with their indexes, take no allocation beyond the document's own. The
// root value owns the document.
struct JsonValue::Document {
  static constexpr std::size_t kInlineArena = std::size_t{16} * 1024;

  explicit Document(std::string_view parsed) : text(parsed), arena(inline_arena, sizeof inline_arena) {}
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  Children* new_children() { return std::pmr::polymorphic_allocator<>(&arena).new_object<Children>(&arena); }

  std::string_view text;
  std::vector<std::unique_ptr<std::string>> decoded;  // strings that had escapes
  alignas(std::max_align_t) std::byte inline_arena[kInlineArena];
  std::pmr::monotonic_buffer_resource arena;
  Children* top = new_children();  // the root's members or items
};

class JsonParser {
 public:
  JsonParser(JsonValue::Document& doc, std::uint32_t at, std::span<const FieldName> read_first = {})
      : doc_(doc),
        read_first_(read_first),
        begin_(doc.text.data()),
        p_(begin_ + at),
        end_(begin_ + doc.text.size()) {}

  // The root value, its top level parsed at once (not skipped first), and nothing after it.
  void root(JsonValue& v, JsonValue::Children& top) {
    if (doc_.text.size() >= UINT32_MAX) fail("document too large");
    skip_space();
    if (p_ != end_ && (*p_ == '{' || *p_ == '[')) {
      open_container(v, 1);
      build(v, top);
      v.end_ = offset();
    } else {
      value(v, 0);
    }
    skip_space();
    if (p_ != end_) fail("data after the JSON document");
  }

  // One level of an object or array, checked strictly: its members or items, nested objects and arrays
  // skipped (and parsed when they are read).
  void build(const JsonValue& v, JsonValue::Children& out) {
    // Room for the members a level of this size can hold at most in a body like Docker's (a member takes
    // at least five bytes, an item two), up to 64: HostConfig needs no growth, a mount's object no 5 KB.
    const size_t span = (v.end_ != 0 ? v.end_ : doc_.text.size()) - v.begin_;
    ++p_;  // '{' or '['
    if (v.kind == JsonValue::Kind::object) {
      const bool top = !read_first_.empty() && v.depth_ == 1;  // some of its objects may be parsed now
      out.members.reserve(std::min<size_t>(64, span / 5 + 1));
      if (at('}')) {
        ++p_;
      } else {
        while (true) {
          if (!at('"')) fail("expected a string key");
          bool ascii = true;
          std::string_view key = string(&ascii);
          if (!ascii) out.non_ascii.push_back(static_cast<std::uint32_t>(out.members.size()));
          if (!at(':')) fail("expected ':'");
          ++p_;
          JsonValue& member = out.members.emplace_back(key, JsonValue{}).second;
          if (top && p_ != end_ && *p_ == '{' && read_first(key, ascii)) {
            parse_now(member);
          } else {
            value(member, v.depth_);
          }
          if (!next_or_close('}', "unexpected end in an object", "expected ',' or '}'")) break;
        }
      }
    } else {
      out.items.reserve(std::min<size_t>(64, span / 2 + 1));
      if (at(']')) {
        ++p_;
      } else {
        while (true) {
          value(out.items.emplace_back(), v.depth_);
          if (!next_or_close(']', "unexpected end in an array", "expected ',' or ']'")) break;
        }
      }
    }
    // The skip that found this level's end and the parse of it agree on every well-formed text (the root's
    // end is found here).
    if (v.end_ != 0 && offset() != v.end_) fail("unbalanced brackets");
  }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw JsonError("invalid JSON at byte " + std::to_string(p_ - begin_) + ": " + what);
  }

  static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
  void skip_space() {
    // Most bodies are compact (the docker CLI sends no whitespace): one comparison finds that.
    while (p_ != end_ && static_cast<unsigned char>(*p_) <= ' ' && is_space(*p_)) ++p_;
  }

  // `v` as the object or array whose bracket is at p_, at nesting level `level`.
  void open_container(JsonValue& v, std::uint32_t level) {
    v.kind = *p_ == '{' ? JsonValue::Kind::object : JsonValue::Kind::array;
    v.doc_ = &doc_;
    v.begin_ = offset();
    v.depth_ = static_cast<std::uint16_t>(level);
  }

  // Whether the next byte that is not whitespace, from p_ on, is `c`. Compact bodies (the docker CLI sends
  // no whitespace) find it with one comparison.
  [[gnu::always_inline]] bool at(char c) {
    if (p_ != end_ && *p_ == c) return true;
    skip_space();
    return p_ != end_ && *p_ == c;
  }

  // After a member or item: true at a ',' (and past it), false at the closing bracket (and past it).
  bool next_or_close(char close, const char* at_end, const char* otherwise) {
    if (at(',')) {
      ++p_;
      return true;
    }
    if (p_ == end_) fail(at_end);
    if (*p_ != close) fail(otherwise);
    ++p_;
    return false;
  }

  void expect_word(const char* word, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) fail("unexpected character");
    p_ += n;
  }

  std::uint32_t offset() const { return static_cast<std::uint32_t>(p_ - begin_); }

  // The value at p_ into `v`, inside a container at nesting level `depth` (0 for the root). An object or
  // array is skipped here and parsed when read; the root's top level is parsed at once.
  [[gnu::always_inline]] void value(JsonValue& v, std::uint32_t depth) {
    if (p_ == end_ || static_cast<unsigned char>(*p_) <= ' ') {
      skip_space();
      if (p_ == end_) fail("unexpected end");
    }
    switch (*p_) {
      case '{':
      case '[': {
        if (depth >= kMaxDepth) fail("nested too deeply");
        open_container(v, depth + 1);
        skip_container(v.depth_);
        v.end_ = offset();
        break;
      }
      case '"':
        v.kind = JsonValue::Kind::string;
        v.string = string(nullptr);
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

  bool read_first(std::string_view key, bool ascii) const;

  // A top-level member's object at p_, parsed now rather than skipped: its end is where the parse ends.
  void parse_now(JsonValue& v) {
    open_container(v, 2);
    JsonValue::Children* children = doc_.new_children();
    build(v, *children);
    v.end_ = offset();
    v.children_ = children;
  }

  // From the '{' or '[' at p_ (at nesting level `level`) to one past its matching bracket. What lies
  // between is not checked, except that it nests at most kMaxDepth levels and its brackets pair up.
  void skip_container(std::uint32_t level) {
    const char opening = *p_;
    // An empty object or array, common in Docker bodies, needs no block scan.
    const char* q = p_ + 1;
    while (q != end_ && is_space(*q)) ++q;
    if (q != end_ && (*q == '}' || *q == ']')) {
      p_ = q;
      if ((*q == '}') != (opening == '{')) fail("mismatched brackets");
      ++p_;
      return;
    }
    Skipped r = skip_blocks(p_ + 1, end_, level);
    p_ = r.at;
    switch (r.stop) {
      case Skipped::closed:
        if ((*p_ == '}') != (opening == '{')) fail("mismatched brackets");
        ++p_;
        return;
      case Skipped::too_deep:
        fail("nested too deeply");
      case Skipped::end:
        fail(opening == '{' ? "unexpected end in an object" : "unexpected end in an array");
    }
  }

  static bool continues_number(char c) {
    return static_cast<unsigned>(c - '0') <= 9 || c == '.' || c == 'e' || c == 'E';
  }

  // JSON's number grammar, and its value; Go refuses a number out of float64's range (strconv.ErrRange).
  double number() {
    // One digit and then no more of a number ('0', and the small sizes and counts a body is full of).
    if (end_ - p_ >= 2 && static_cast<unsigned>(*p_ - '0') <= 9 && !continues_number(p_[1])) {
      return *p_++ - '0';
    }
    const char* start = p_;
    bool plain = true;  // digits only: an integer
    if (p_ != end_ && *p_ == '-') ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') fail("unexpected character");
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ != end_ && *p_ == '.') {
      plain = false;
      ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') fail("a digit must follow '.'");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      plain = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9') fail("a digit must follow the exponent");
      while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    // An integer of up to 15 digits is exact as a double; the usual 0 and small sizes go this way.
    if (plain && p_ - start <= 15) {
      std::int64_t n = 0;
      for (const char* d = *start == '-' ? start + 1 : start; d != p_; ++d) n = n * 10 + (*d - '0');
      return static_cast<double>(*start == '-' ? -n : n);
    }
    double d = 0;
    auto [ptr, ec] = std::from_chars(start, p_, d);
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
  // into a copy that the document owns. `ascii`, when given, is cleared if the string has non-ASCII bytes.
  [[gnu::always_inline]] std::string_view string(bool* ascii) {
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
      if (ascii != nullptr) *ascii = false;
      utf8(nullptr);
    }
    return escaped_string(start, ascii);
  }

  // The rest of a string from its first backslash at p_ (`start` is just past its opening quote): decoded
  // into a copy that the document owns. Out of line, so that the common string without escapes is cheap.
  [[gnu::noinline]] std::string_view escaped_string(const char* start, bool* ascii) {
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
    if (ascii != nullptr) {
      *ascii =
          std::all_of(out.begin(), out.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    }
    doc_.decoded.push_back(std::move(owned));
    return *doc_.decoded.back();
  }

  JsonValue::Document& doc_;
  std::span<const FieldName> read_first_;  // the root's parser only
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

// Whether `key` folds to `name`. A name of letters only is compared eight bytes at a time: a key byte
// equals a letter under folding exactly when it does with bit 0x20 set in both, and a key of the same
// length that has non-ASCII bytes cannot fold to it (ſ and the Kelvin sign fold to one byte from two or
// three, and every other non-ASCII byte stays as it is).
bool key_matches(std::string_view key, const FieldName& name) {
  const std::string_view field = name.text();
  if (!name.letters() || key.size() != field.size()) return may_match(key, field) && fold_equal(key, field);
  // Words of eight (or four) bytes, the last one overlapping the one before where the length is no multiple.
  constexpr std::uint64_t kCase = 0x2020202020202020u;
  const char* k = key.data();
  const char* f = field.data();
  const size_t n = key.size();
  auto same = [&](size_t at, size_t width) {
    return (detail::load_bytes(k + at, width) | kCase) == (detail::load_bytes(f + at, width) | kCase);
  };
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (!same(i, 8)) return false;
    }
    return same(n - 8, 8);
  }
  if (n >= 4) return same(0, 4) && same(n - 4, 4);
  for (size_t i = 0; i < n; ++i) {
    if ((static_cast<unsigned char>(k[i]) | 0x20) != (static_cast<unsigned char>(f[i]) | 0x20)) return false;
  }
  return true;
}

bool is_ascii(std::string_view key) {
  unsigned char all = 0;
  for (char c : key) all |= static_cast<unsigned char>(c);
  return all < 0x80;
}

constexpr size_t kIndexFrom = 12;  // smaller objects are scanned; an index costs more than it saves

}  // namespace

bool JsonParser::read_first(std::string_view key, bool ascii) const {
  return std::any_of(read_first_.begin(), read_first_.end(), [&](const FieldName& name) {
    return (!ascii || key.size() == name.text().size()) && key_matches(key, name);
  });
}

bool go_fold_equal(std::string_view key, std::string_view field) {
  return fold_equal(key, field);
}

bool use_avx2_skip_for_tests(bool on) {
  bool was = avx2_skip;
  avx2_skip = on && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
  return was;
}

JsonValue::Children& JsonValue::build_children() const {
  // A container that was not parsed (its kind set by hand) has nothing in it; an empty level is never
  // written to (an index needs kIndexFrom members, a merged view two).
  static Children kNothing(std::pmr::null_memory_resource());
  if (doc_ == nullptr || (kind != Kind::object && kind != Kind::array)) return kNothing;
  Children* built = doc_->new_children();
  JsonParser(*doc_, begin_).build(*this, *built);
  children_ = built;  // only once it is complete: a level that failed fails every time
  return *built;
}

const std::pmr::vector<JsonValue>& JsonValue::items() const {
  static const std::pmr::vector<JsonValue> kNone;
  return kind == Kind::array ? children().items : kNone;
}

const std::pmr::vector<JsonValue::Member>& JsonValue::members() const {
  static const std::pmr::vector<Member> kNone;
  return kind == Kind::object ? children().members : kNone;
}

// The sandbox asks dozens of fields of HostConfig and of the body: an object of kIndexFrom members or more
// indexes its ASCII keys once, then each look-up is a hash probe. Keys with non-ASCII bytes (which may fold
// to a shorter ASCII name) are kept aside and compared every time; real bodies have none.
void JsonValue::build_index(Children& c) {
  const auto& members = c.members;
  Index& index = c.index;
  std::uint32_t size = 32, shift = 27;  // a slot is the hash's top log2(size) bits
  while (size < 2 * members.size()) size *= 2, --shift;
  index.size = size;
  index.shift = shift;
  index.data.assign(2 * size_t{size} + members.size(), UINT32_MAX);
  std::uint32_t* hash = index.data.data();
  std::uint32_t* first = hash + size;
  std::uint32_t* next = first + size;
  // Last member first, each put at the head of its chain: the chains end up in document order.
  auto odd = c.non_ascii.rbegin();
  for (auto i = static_cast<std::uint32_t>(members.size()); i-- > 0;) {
    if (odd != c.non_ascii.rend() && *odd == i) {
      ++odd;
      continue;
    }
    std::uint32_t h = detail::folded_hash(members[i].first);
    std::uint32_t s = h >> shift;
    while (first[s] != UINT32_MAX && hash[s] != h) s = (s + 1) & (size - 1);
    hash[s] = h;
    next[i] = first[s];
    first[s] = i;
  }
}

// Calls `take` with each member whose key folds to `name`, in document order.
template <typename Take>
void JsonValue::for_each_match(Children& c, const FieldName& name, Take take) {
  const auto& members = c.members;
  // A single look-up (the top level's "HostConfig") is cheaper as a scan than as an index.
  if (members.size() < kIndexFrom || !name.ascii() || c.lookups++ == 0) {
    for (const Member& m : members) {
      if (key_matches(m.first, name)) take(m.second);
    }
    return;
  }
  if (c.index.data.empty()) build_index(c);
  const Index& ix = c.index;
  const std::uint32_t* first = ix.data.data() + ix.size;
  const std::uint32_t* next = first + ix.size;
  std::uint32_t s = name.hash() >> ix.shift;
  while (first[s] != UINT32_MAX && ix.data[s] != name.hash()) s = (s + 1) & (ix.size - 1);
  std::uint32_t i = first[s];
  if (c.non_ascii.empty()) {  // every real body
    for (; i != UINT32_MAX; i = next[i]) {
      if (key_matches(members[i].first, name)) take(members[i].second);
    }
    return;
  }
  auto odd = c.non_ascii.begin();
  // Both lists are in document order: merge them, so that the last match is the last in the body.
  while (i != UINT32_MAX || odd != c.non_ascii.end()) {
    std::uint32_t m = 0;
    if (i != UINT32_MAX && (odd == c.non_ascii.end() || i < *odd)) {
      m = i;
      i = next[i];
    } else {
      m = *odd++;
    }
    if (key_matches(members[m].first, name)) take(members[m].second);
  }
}

const JsonValue* JsonValue::field(const FieldName& name) const {
  if (kind != Kind::object) return nullptr;
  Children& c = children();
  // One pass finds out whether objects merge (below); bodies that repeat a field are rare.
  Matches found;
  for_each_match(c, name, [&](const JsonValue& v) { found.take(v); });
  if (!found.merge()) return found.single();
  // Only a parsed object has members, so doc_ is set here. The view lives in the arena with the rest.
  auto* merged = std::pmr::polymorphic_allocator<>(&doc_->arena).new_object<JsonValue>();
  merged->kind = Kind::object;
  merged->doc_ = doc_;
  merged->children_ = doc_->new_children();
  auto& into = merged->children_->members;
  for_each_match(c, name, [&](const JsonValue& v) {
    if (v.kind != Kind::object) return;
    for (const auto& member : v.members()) {
      if (!is_ascii(member.first))
        merged->children_->non_ascii.push_back(static_cast<std::uint32_t>(into.size()));
      into.push_back(member);
    }
  });
  return merged;
}

void JsonValue::find_fields(std::span<const FieldName> names, std::span<const std::uint8_t> slots, int shift,
                            Matches* found, const JsonValue** out) const {
  if (kind != Kind::object) {
    std::fill_n(out, names.size(), nullptr);
    return;
  }
  Children& c = children();
  const std::size_t mask = slots.size() - 1;
  auto odd = c.non_ascii.begin();
  for (std::uint32_t m = 0; m < c.members.size(); ++m) {
    const Member& member = c.members[m];
    if (odd != c.non_ascii.end() && *odd == m) {  // may fold to a shorter name: compared with each
      ++odd;
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (key_matches(member.first, names[i])) found[i].take(member.second);
      }
      continue;
    }
    // The names fold apart, so a key matches one at most.
    const std::uint32_t h = detail::folded_hash(member.first);
    for (std::size_t s = h >> shift; slots[s] != 0; s = (s + 1) & mask) {
      const std::size_t i = slots[s] - 1u;
      if (names[i].hash() == h && key_matches(member.first, names[i])) {
        found[i].take(member.second);
        break;
      }
    }
  }
  for (std::size_t i = 0; i < names.size(); ++i)
    out[i] = found[i].merge() ? field(names[i]) : found[i].single();
}

bool JsonValue::is_set() const {
  // "[]" and "{}", which Docker bodies are full of, are empty without building anything.
  if (doc_ != nullptr && end_ - begin_ == 2) return false;
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

JsonValue parse_go_json(std::string_view text, std::span<const FieldName> read_first) {
  auto doc = std::make_shared<JsonValue::Document>(text);
  JsonValue root;
  JsonParser(*doc, 0, read_first).root(root, *doc->top);
  root.children_ = doc->top;
  root.owner_ = std::move(doc);  // a string root's decoded copy lives there too
  return root;
}

}  // namespace dockgate::authz
