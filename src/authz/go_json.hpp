// JSON read the way the Docker engine's Go code reads it, so that a body is judged as the engine will act
// on it: object keys match field names case-insensitively (with Go's folding of 'ſ' to s and the Kelvin
// sign to k), the last of several matching keys wins, and \u escapes are decoded. Every part that is read
// is parsed strictly: the grammar, strings (valid UTF-8, no lone surrogates, no control characters),
// numbers, and no data after the document (which Go's decoder would silently ignore). An object or array
// that is never read is only skipped, its brackets matched outside strings: Go's decoder checks the syntax
// of the whole document before it sets any field, so a body that is malformed only there is refused by
// the engine, and on any well-formed body the skip ends exactly where a parser would.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <memory_resource>
#include <optional>
#include <span>
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
  constexpr FieldName() : FieldName(std::string_view()) {}
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

// Names that JsonValue::fields() looks up together, in one pass over an object's members: their folded
// hashes in an open-addressing table built at compile time, so that each key costs a hash and a probe
// instead of one look-up per name. The names are ASCII and do not fold alike (a compile error otherwise).
template <std::size_t N>
class FieldSet {
 public:
  static_assert(N > 0 && N <= 64);
  static constexpr std::size_t kSlots = std::bit_ceil(std::max<std::size_t>(16, 2 * N));  // at most half full
  static constexpr int kShift = 32 - std::countr_zero(kSlots);  // a slot is the hash's top bits

  consteval FieldSet(const FieldName (&names)[N]) {  // NOLINT(google-explicit-constructor): braced lists
    for (std::size_t i = 0; i < N; ++i) {
      if (!names[i].ascii()) throw "FieldSet: a name is not ASCII";
      for (std::size_t j = 0; j < i; ++j) {
        if (ascii_fold_equal(names[i].text(), names[j].text())) throw "FieldSet: two names fold alike";
      }
      names_[i] = names[i];
      std::size_t s = names[i].hash() >> kShift;
      while (slots_[s] != 0) s = (s + 1) % kSlots;
      slots_[s] = static_cast<std::uint8_t>(i + 1);
    }
  }

  // The position of `name` in the set, for reading fields()' answer; a compile error when it is missing.
  consteval std::size_t at(std::string_view name) const {
    for (std::size_t i = 0; i < N; ++i) {
      if (names_[i].text() == name) return i;
    }
    throw "FieldSet: no such name";
  }
  constexpr const std::array<FieldName, N>& names() const { return names_; }
  constexpr const std::array<std::uint8_t, kSlots>& slots() const { return slots_; }  // 1 + name, 0 empty

 private:
  static constexpr bool ascii_fold_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
      if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
  }

  std::array<FieldName, N> names_{};
  std::array<std::uint8_t, kSlots> slots_{};
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
  const std::pmr::vector<JsonValue>& items() const;
  // An object's members in document order, duplicates kept; empty for anything else.
  const std::pmr::vector<Member>& members() const;

  // The value a Go struct field named `name` would receive. Members whose keys fold to `name` are all
  // taken into account as Go's decoder does: a later scalar or array replaces an earlier one, but a later
  // object is decoded *into* the earlier struct or map, so several objects are merged (earlier members
  // kept, later ones added). A null among objects is ignored, which can only make the view stricter.
  const JsonValue* field(const FieldName& name) const;
  // field() for every name of `set`, in one pass: the answer for set.names()[i] at [i].
  template <std::size_t N>
  std::array<const JsonValue*, N> fields(const FieldSet<N>& set) const {
    std::array<Matches, N> found{};
    std::array<const JsonValue*, N> out;  // every entry written
    find_fields(set.names(), set.slots(), FieldSet<N>::kShift, found.data(), out.data());
    return out;
  }
  bool is_true() const { return kind == Kind::boolean && boolean; }
  // A non-empty array or object, or a non-empty string: something was asked for.
  bool is_set() const;

  struct Document;  // the text, decoded strings, and the arena that holds what is built

 private:
  // An object's members by folded key, in one block: open addressing over the ASCII keys' hashes (`hash`
  // and `first`, a power of two in size, at most half full), each slot the first member with that hash and
  // `next` chaining the later ones in document order. Empty until first needed.
  struct Index {
    std::uint32_t size = 0;                // slots
    std::uint32_t shift = 0;               // 32 - log2(size)
    std::pmr::vector<std::uint32_t> data;  // hash[size], first[size], next[members]
  };
  // A level's values, built in the document's arena and released with it, never destroyed one by one:
  // they hold arena memory and views, and nothing else.
  struct Children {
    explicit Children(std::pmr::memory_resource* arena)
        : items(arena),
          members(arena),
          non_ascii(arena),
          index{0, 0, std::pmr::vector<std::uint32_t>(arena)} {}
    std::pmr::vector<JsonValue> items;
    std::pmr::vector<Member> members;
    std::pmr::vector<std::uint32_t> non_ascii;  // members whose keys have non-ASCII bytes
    Index index;                                // by folded key, for large objects asked more than once
    std::uint32_t lookups = 0;                  // field() look-ups so far: the second builds the index
  };
  // The members whose keys fold to one name, weighed as Go's decoder does: the last decides, unless two or
  // more are objects, which merge (field() builds that view); a lone object wins over scalars after it.
  struct Matches {
    const JsonValue* last = nullptr;
    const JsonValue* first_object = nullptr;
    std::uint32_t objects = 0;
    void take(const JsonValue& v) {
      last = &v;
      if (v.kind == Kind::object && objects++ == 0) first_object = &v;
    }
    bool merge() const { return objects > 1; }
    const JsonValue* single() const { return objects == 0 ? last : first_object; }  // when not merge()
  };
  Children& children() const { return children_ ? *children_ : build_children(); }  // built on first use
  Children& build_children() const;
  static void build_index(Children& c);
  template <typename Take>
  static void for_each_match(Children& c, const FieldName& name, Take take);
  void find_fields(std::span<const FieldName> names, std::span<const std::uint8_t> slots, int shift,
                   Matches* found, const JsonValue** out) const;

  Document* doc_ = nullptr;                // objects and arrays only
  mutable Children* children_ = nullptr;   // in doc_'s arena, once built
  std::shared_ptr<const Document> owner_;  // the root's: the document it was parsed into
  friend JsonValue parse_go_json(std::string_view text, std::span<const FieldName> read_first);
  friend class JsonParser;
};

class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses one JSON document (RFC 8259, strictly: no BOM, valid UTF-8, no lone surrogates, at most 64 levels
// deep), the top level at once and the levels below when they are read. Throws JsonError with the byte
// offset of the problem. The result's strings point into `text`. Top-level objects under the names in
// `read_first` are parsed at once too, instead of skipped and parsed again when read: for the fields the
// caller is known to read.
JsonValue parse_go_json(std::string_view text, std::span<const FieldName> read_first = {});

// Whether two keys are equal under Go's encoding/json case folding.
bool go_fold_equal(std::string_view key, std::string_view field);

// For tests: skip unread objects and arrays with the AVX2 scanner (where the processor has it; the default
// there) or the SSE2 one. Returns the previous choice. Not thread-safe.
bool use_avx2_skip_for_tests(bool on);

}  // namespace dockgate::authz
