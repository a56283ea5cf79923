// A plain, strict JSON parser for the request bodies the sandbox judges. Every byte is parsed (RFC 8259:
// no BOM, valid UTF-8, no lone surrogates, no control characters in strings, no data after the document,
// at most 64 levels deep); nothing is skipped, so what is judged is the whole document the engine decodes.
// Strings without escapes are views into the body; decoded ones are owned by the document. Keys are kept
// as written and in order, duplicates included: the body schema (authz/bodies/) decides which keys are the
// same to Go's decoder and refuses a repeat, so nothing here models how Go merges them.
#pragma once

#include <deque>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dockgate::authz {

struct JsonMember;

struct Json {
  enum class Kind : unsigned char { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  std::string_view text;            // a string's decoded value; a number as written
  std::vector<Json> items;          // an array's elements
  std::vector<JsonMember> members;  // an object's members, in document order
};

struct JsonMember {
  std::string_view key;  // decoded
  Json value;
};

class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One parsed document. It keeps views into the text it was parsed from, which must outlive it.
class JsonDocument {
 public:
  // Throws JsonError naming the byte offset and what is wrong there.
  explicit JsonDocument(std::string_view text);
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

  const Json& root() const { return root_; }

 private:
  friend class JsonParser;
  std::deque<std::string> decoded_;  // strings that had escapes; a deque never moves what it holds
  Json root_;
};

// The key as Go's encoding/json compares it with a struct field's name: ASCII letters in lower case, and
// the two non-ASCII letters that fold to ASCII ones, U+017F (long s) to 's' and U+212A (Kelvin sign) to
// 'k' (encoding/json/fold.go). Other bytes are kept, so they can only match themselves.
std::string go_fold(std::string_view key);

}  // namespace dockgate::authz
