// A nlohmann SAX handler that keeps every member (duplicates and order) instead of a map.
#include "authz/go_json.hpp"

#include <nlohmann/json.hpp>

namespace dockgate::authz {
namespace {

// Folds a key as Go 1.19's encoding/json does for field matching: ASCII letters to lower case, and the
// two non-ASCII letters that fold to ASCII ones: U+017F (ſ) to 's' and U+212A (Kelvin sign) to 'k'.
std::string fold(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0xC5 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBF) {
      out += 's';
      ++i;
    } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x84 &&
               static_cast<unsigned char>(s[i + 2]) == 0xAA) {
      out += 'k';
      i += 2;
    } else {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
  }
  return out;
}

class Builder : public nlohmann::json_sax<nlohmann::json> {
 public:
  JsonValue root;

  bool null() override { return put(JsonValue{}); }
  bool boolean(bool v) override {
    JsonValue j;
    j.kind = JsonValue::Kind::boolean;
    j.boolean = v;
    return put(std::move(j));
  }
  bool number_integer(number_integer_t v) override { return number(static_cast<double>(v)); }
  bool number_unsigned(number_unsigned_t v) override { return number(static_cast<double>(v)); }
  bool number_float(number_float_t v, const string_t&) override { return number(v); }
  bool string(string_t& v) override {
    JsonValue j;
    j.kind = JsonValue::Kind::string;
    j.string = std::move(v);
    return put(std::move(j));
  }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override {
    JsonValue j;
    j.kind = JsonValue::Kind::object;
    return open(std::move(j));
  }
  bool key(string_t& k) override {
    key_ = std::move(k);
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override {
    JsonValue j;
    j.kind = JsonValue::Kind::array;
    return open(std::move(j));
  }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    error = "invalid JSON at byte " + std::to_string(position) + ": " + e.what();
    return false;
  }
  std::string error;

 private:
  bool number(double v) {
    JsonValue j;
    j.kind = JsonValue::Kind::number;
    j.number = v;
    return put(std::move(j));
  }
  // Places a value in its container (or as the root) and returns where it now lives.
  JsonValue* place(JsonValue v) {
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    JsonValue* top = stack_.back();
    if (top->kind == JsonValue::Kind::array) {
      top->items.push_back(std::move(v));
      return &top->items.back();
    }
    top->members.emplace_back(std::move(key_), std::move(v));
    return &top->members.back().second;
  }
  bool put(JsonValue v) {
    place(std::move(v));
    return true;
  }
  bool open(JsonValue v) {
    if (stack_.size() >= 64) {  // deeper than any Docker API body; refuse rather than recurse
      error = "JSON nested too deeply";
      return false;
    }
    stack_.push_back(place(std::move(v)));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }
  // Pointers into vectors stay valid: a container is only appended to while it is the innermost open one,
  // and its parent is not appended to until it is closed.
  std::vector<JsonValue*> stack_;
  std::string key_;
};

}  // namespace

bool go_fold_equal(std::string_view key, std::string_view field) {
  return fold(key) == fold(field);
}

const JsonValue* JsonValue::field(std::string_view name) const {
  std::string want = fold(name);
  const JsonValue* last = nullptr;
  std::vector<const JsonValue*> objects;
  for (const auto& [k, v] : members) {
    if (fold(k) != want) continue;
    last = &v;
    if (v.kind == Kind::object) objects.push_back(&v);
  }
  if (objects.size() <= 1) return objects.empty() ? last : objects.front();
  auto merged = std::make_shared<JsonValue>();
  merged->kind = Kind::object;
  for (const JsonValue* o : objects)
    merged->members.insert(merged->members.end(), o->members.begin(), o->members.end());
  merged_.push_back(std::move(merged));
  return merged_.back().get();
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
  Builder b;
  bool ok =
      nlohmann::json::sax_parse(text.begin(), text.end(), &b, nlohmann::json::input_format_t::json, true);
  if (!ok) throw JsonError(b.error.empty() ? "invalid JSON" : b.error);
  return std::move(b.root);
}

}  // namespace dockgate::authz
