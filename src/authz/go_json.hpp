// JSON read the way the Docker engine's Go code reads it, so that a body is judged as the engine will act
// on it: object keys match field names case-insensitively (with Go's folding of 'ſ' to s and the Kelvin
// sign to k), the last of several matching keys wins, and \u escapes are decoded. Every part that is read
// is parsed strictly: the grammar, strings (valid UTF-8, no lone surrogates, no control characters),
// numbers, and no data after the document (which Go's decoder would silently ignore). An object or array
// that is never read is only skipped, its brackets matched outside strings: Go's decoder checks the syntax
// of the whole document before it sets any field, so a body that is malformed only there is refused by
// the engine, and on any well-formed body the skip ends exactly where a parser would.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dockgate::authz {

namespace detail {

// The first `n` (at most 8) bytes at `p` as a little-endian integer; in a constant expression too.
constexpr std::uint64_t load_bytes(const char* p, std::size_t n) {
  std::uint64_t v = 0;
  if (std::is_constant_evaluated()) {
    for (std::size_t i = n; i-- > 0;) v = (v << 8) | static_cast<unsigned char>(p[i]);
  } else {
    std::memcpy(&v, p, n);  // x86-64 is little-endian
  }
  return v;
}

// A hash of an ASCII key under folding: its length and its first and last eight bytes (four, or three
// single bytes, for shorter keys), with bit 0x20 set in every byte, which lower-cases letters (and merges a
// few punctuation pairs, which the comparison after the look-up tells apart). Keys that fold alike hash
// alike; a handful of instructions, no loop.
constexpr std::uint32_t folded_hash(std::string_view key) {
  constexpr std::uint64_t kCase = 0x2020202020202020u;
  const char* p = key.data();
  const std::size_t n = key.size();
  std::uint64_t front = 0, back = 0;
  if (n >= 8) {
    front = load_bytes(p, 8);
    back = load_bytes(p + n - 8, 8);
  } else if (n >= 4) {
    front = load_bytes(p, 4);
    back = load_bytes(p + n - 4, 4);
  } else if (n > 0) {
    front = static_cast<unsigned char>(p[0]) | (std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) |
            (std::uint64_t{static_cast<unsigned char>(p[n - 1])} << 16);
  }
  std::uint64_t h = (((front | kCase) * 0x9E3779B97F4A7C15u) ^ (back | kCase) ^ n) * 0xC2B2AE3D27D4EB4Fu;
  return static_cast<std::uint32_t>(h >> 32);  // the product's high bits depend on every input bit
}

}  // namespace detail

// The name of a Go struct field that JsonValue::field() looks up, with what the look-up needs of it
// computed once: at compile time for a string literal. The sandbox asks the same few dozen names of every
// body it inspects.
class FieldName {
 public:
  template <std::size_t N>
  consteval FieldName(const char (&name)[N])  // NOLINT(google-explicit-constructor): literals read best
      : FieldName(std::string_view(name, N - 1)) {}
  explicit constexpr FieldName(std::string_view name)
      : text_(name), hash_(detail::folded_hash(name)), ascii_(true), letters_(!name.empty()) {
    for (char c : name) {
      auto u = static_cast<unsigned char>(c);
      ascii_ = ascii_ && u < 0x80;
      letters_ = letters_ && ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z'));
    }
  }

  constexpr std::string_view text() const { return text_; }
  constexpr std::uint32_t hash() const { return hash_; }  // detail::folded_hash(text())
  constexpr bool ascii() const { return ascii_; }
  constexpr bool letters() const { return letters_; }  // ASCII letters only, as every Docker field name

 private:
  std::string_view text_;
  std::uint32_t hash_;
  bool ascii_, letters_;
};

// A parsed value. An object's or array's members are parsed, strictly, only when first asked for (items(),
// members(), field()), and those calls throw JsonError when that level is malformed: the sandbox reads a
// dozen fields of a container-create body and never its Env or Labels. Strings and keys are views: into
// the parsed text where they had no escapes, otherwise into decoded copies owned by the document. The text
// and the root value returned by parse_go_json must outlive the values. Building on demand mutates shared
// state, so one document belongs to one thread at a time.
struct JsonValue {
  enum class Kind : std::uint8_t { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;

 private:
  std::uint16_t depth_ = 0;  // an object's or array's nesting level; the root's is 1
  std::uint32_t begin_ = 0;  // where the object or array starts ('{' or '[')
  std::uint32_t end_ = 0;    // one past its closing bracket

 public:
  double number = 0;
  std::string_view string;

  using Member = std::pair<std::string_view, JsonValue>;
  // An array's elements; empty for anything else.
  const std::vector<JsonValue>& items() const;
  // An object's members in document order, duplicates kept; empty for anything else.
  const std::vector<Member>& members() const;

  // The value a Go struct field named `name` would receive. Members whose keys fold to `name` are all
  // taken into account as Go's decoder does: a later scalar or array replaces an earlier one, but a later
  // object is decoded *into* the earlier struct or map, so several objects are merged (earlier members
  // kept, later ones added). A null among objects is ignored, which can only make the view stricter.
  const JsonValue* field(const FieldName& name) const;
  bool is_true() const { return kind == Kind::boolean && boolean; }
  // A non-empty array or object, or a non-empty string: something was asked for.
  bool is_set() const;

  struct Document;  // the text, where each object and array ends, decoded strings

 private:
  // An object's members by folded key, in one allocation: open addressing over the ASCII keys' hashes
  // (`hash` and `first`, a power of two in size, at most half full), each slot the first member with that
  // hash and `next` chaining the later ones in document order. Empty until first needed.
  struct Index {
    std::uint32_t size = 0;           // slots
    std::uint32_t shift = 0;          // 32 - log2(size)
    std::vector<std::uint32_t> data;  // hash[size], first[size], next[members]
  };
  struct Children {
    std::vector<JsonValue> items;
    std::vector<Member> members;
    std::vector<std::uint32_t> non_ascii;            // members whose keys have non-ASCII bytes
    Index index;                                     // by folded key, for large objects
    std::vector<std::unique_ptr<JsonValue>> merged;  // views handed out by field()
  };
  Children& children() const { return children_ ? *children_ : build_children(); }  // built on first use
  Children& build_children() const;
  static void build_index(Children& c);
  template <typename Take>
  static void for_each_match(Children& c, const FieldName& name, Take take);

  Document* doc_ = nullptr;  // objects and arrays only
  mutable std::shared_ptr<Children> children_;
  friend JsonValue parse_go_json(std::string_view text);
  friend class JsonParser;
};

class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses one JSON document (RFC 8259, strictly: no BOM, valid UTF-8, no lone surrogates, at most 64 levels
// deep), the top level at once and the levels below when they are read. Throws JsonError with the byte
// offset of the problem. The result's strings point into `text`.
JsonValue parse_go_json(std::string_view text);

// Whether two keys are equal under Go's encoding/json case folding.
bool go_fold_equal(std::string_view key, std::string_view field);

// For tests: skip unread objects and arrays with the AVX2 scanner (where the processor has it; the default
// there) or the SSE2 one. Returns the previous choice. Not thread-safe.
bool use_avx2_skip_for_tests(bool on);

}  // namespace dockgate::authz
