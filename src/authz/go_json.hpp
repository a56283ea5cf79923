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

// A parsed value. Strings and keys are views: into the parsed text where they had no escapes, otherwise
// into decoded copies owned by the document's root. The text must outlive the values.
struct JsonValue {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  double number = 0;
  std::string_view string;
  std::vector<JsonValue> items;                                 // array
  std::vector<std::pair<std::string_view, JsonValue>> members;  // object, in document order, duplicates kept

 private:
  // Rarely used, so one pointer per value: merged views handed out by field(), and (root only) the
  // decoded copies of strings that had escapes.
  struct Owned {
    std::vector<std::shared_ptr<JsonValue>> merged;
    std::vector<std::unique_ptr<std::string>> decoded;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> index;  // (folded-key hash, member), sorted
  };
  mutable std::shared_ptr<Owned> owned_;
  friend JsonValue parse_go_json(std::string_view text);
  friend class JsonParser;

 public:
  // The value a Go struct field named `name` would receive. Members whose keys fold to `name` are all
  // taken into account as Go's decoder does: a later scalar or array replaces an earlier one, but a later
  // object is decoded *into* the earlier struct or map, so several objects are merged (earlier members
  // kept, later ones added). A null among objects is ignored, which can only make the view stricter.
  const JsonValue* field(std::string_view name) const;
  bool is_true() const { return kind == Kind::boolean && boolean; }
  // A non-empty array or object, or a non-empty string: something was asked for.
  bool is_set() const;
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
