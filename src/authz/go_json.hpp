// JSON read the way the Docker engine's Go code reads it, so that a body is judged as the engine will act
// on it: object keys match field names case-insensitively (with Go's folding of 'ſ' to s and the Kelvin
// sign to k), the last of several matching keys wins, and \u escapes are decoded. Anything that does not
// parse strictly (trailing data included, which Go's decoder would silently ignore) is an error, so an
// odd body is denied rather than guessed at.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dockgate::authz {

struct JsonValue {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<JsonValue> items;                            // array
  std::vector<std::pair<std::string, JsonValue>> members;  // object, in document order, duplicates kept

 private:
  mutable std::vector<std::shared_ptr<JsonValue>> merged_;  // merged views handed out by field()

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

// Parses one JSON document. Throws JsonError with the position of the problem.
JsonValue parse_go_json(std::string_view text);

// Whether two keys are equal under Go's encoding/json case folding.
bool go_fold_equal(std::string_view key, std::string_view field);

}  // namespace dockgate::authz
