// JSON read the way the Docker engine's Go code reads it, so that a body is judged as the engine will act
// on it: object keys match field names case-insensitively (with Go's folding of 'ſ' to s and the Kelvin
// sign to k), the last of several matching keys wins, and \u escapes are decoded. Anything that does not
// parse strictly (trailing data included, which Go's decoder would silently ignore) is an error, so an
// odd body is denied rather than guessed at.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dockgate::authz {

// A parsed value. The whole document is checked when it is parsed, but an object's or array's members are
// built only when first asked for (items(), members(), field()): the sandbox reads a dozen fields of a
// container-create body and never its Env or Labels. Strings and keys are views: into the parsed text where
// they had no escapes, otherwise into decoded copies owned by the document. The text must outlive the
// values. Building on demand mutates shared state, so one document belongs to one thread at a time.
struct JsonValue {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
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
  const JsonValue* field(std::string_view name) const;
  bool is_true() const { return kind == Kind::boolean && boolean; }
  // A non-empty array or object, or a non-empty string: something was asked for.
  bool is_set() const;

  struct Document;  // the text, where each object and array ends, decoded strings

 private:
  struct Children {
    std::vector<JsonValue> items;
    std::vector<Member> members;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> index;  // (ASCII key's shape, member), sorted
    std::vector<std::uint32_t> unindexed;                        // members with non-ASCII keys
    std::vector<std::unique_ptr<JsonValue>> merged;              // views handed out by field()
  };
  Children& children() const;  // built on first use

  std::shared_ptr<Document> doc_;  // objects and arrays only
  std::uint32_t container_ = 0;    // which of the document's objects and arrays this is
  mutable std::shared_ptr<Children> children_;
  friend JsonValue parse_go_json(std::string_view text);
  friend class JsonParser;
};

class JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses one JSON document (RFC 8259, strictly: no BOM, valid UTF-8, no lone surrogates, at most 64 levels
// deep). Throws JsonError with the byte offset of the problem. The result's strings point into `text`.
JsonValue parse_go_json(std::string_view text);

// Whether two keys are equal under Go's encoding/json case folding.
bool go_fold_equal(std::string_view key, std::string_view field);

}  // namespace dockgate::authz
