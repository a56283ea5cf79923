// The walker over the body tables, and the build query's table. A value is first checked for its JSON
// kind (what Go's decoder would accept for the field's type), then by its row: harmless, refused unless
// zero, or decided by a named check; objects are walked against their own shape.
#include "authz/bodies/judge.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "authz/bodies/tables.hpp"
#include "authz/endpoints.hpp"

namespace dockgate::authz::bodies {
namespace {

using Kind = Json::Kind;

constexpr std::array kSchemas = {
    BodySchema{"container.create", &kContainerCreate}, BodySchema{"container.update", &kContainerUpdate},
    BodySchema{"container.exec", &kExecCreate},        BodySchema{"volume.create", &kVolumeCreate},
    BodySchema{"network.create", &kNetworkCreate},     BodySchema{"service.create", &kServiceSpec},
    BodySchema{"service.update", &kServiceSpec},
};

// A shape's rows by folded name, for look-ups by key: built once for every shape.
struct Index {
  std::vector<std::pair<std::string, std::size_t>> by_name;  // sorted
};

const Index& index_of(const Shape& shape) {
  static const std::unordered_map<const Shape*, Index> all = [] {
    std::unordered_map<const Shape*, Index> out;
    for (const Shape* s : all_shapes()) {
      Index& ix = out[s];
      for (std::size_t i = 0; i < s->fields.size(); ++i)
        ix.by_name.emplace_back(go_fold(s->fields[i].name), i);
      std::sort(ix.by_name.begin(), ix.by_name.end());
    }
    return out;
  }();
  return all.at(&shape);
}

const Field* find_field(const Shape& shape, std::string_view folded) {
  const auto& v = index_of(shape).by_name;
  auto it = std::lower_bound(v.begin(), v.end(), folded,
                             [](const auto& e, std::string_view k) { return std::string_view(e.first) < k; });
  return it != v.end() && it->first == folded ? &shape.fields[it->second] : nullptr;
}

bool integer_text(std::string_view t, bool allow_sign) {
  if (!t.empty() && t.front() == '-') {
    if (!allow_sign) return false;
    t.remove_prefix(1);
  }
  return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// What Go's decoder accepts for a number field: an integer in range for int64 or uint64 (smaller Go types
// fail at the engine, which refuses the body); any number for a float.
bool number_fits(const Json& v, Wire wire) {
  if (v.kind != Kind::number) return false;
  const char* b = v.text.data();
  const char* e = b + v.text.size();
  if (wire == Wire::integer) {
    long long x = 0;
    return integer_text(v.text, true) && std::from_chars(b, e, x).ec == std::errc();
  }
  if (wire == Wire::unsigned_integer) {
    unsigned long long x = 0;
    return integer_text(v.text, false) && std::from_chars(b, e, x).ec == std::errc();
  }
  return true;
}

bool all_items(const Json& v, Kind kind) {
  return v.kind == Kind::array &&
         std::all_of(v.items.begin(), v.items.end(), [&](const Json& i) { return i.kind == kind; });
}

const char* wire_words(Wire w) {
  switch (w) {
    case Wire::boolean:
      return "true or false";
    case Wire::string:
      return "a string";
    case Wire::integer:
      return "an integer";
    case Wire::unsigned_integer:
      return "a non-negative integer";
    case Wire::number:
      return "a number";
    case Wire::string_list:
      return "a list of strings";
    case Wire::string_or_list:
      return "a string or a list of strings";
    case Wire::string_map:
      return "an object of strings";
    case Wire::string_list_list:
      return "a list of lists of strings";
    case Wire::unsigned_list:
      return "a list of non-negative integers";
    case Wire::object:
      return "an object";
    case Wire::object_list:
      return "a list of objects";
    case Wire::object_map:
      return "an object of objects";
    case Wire::object_list_map:
      return "an object of lists of objects";
  }
  return "?";
}

// Whether `v` (not null) is of the JSON kind Go decodes into a field of this wire.
bool kind_fits(const Json& v, Wire w) {
  switch (w) {
    case Wire::boolean:
      return v.kind == Kind::boolean;
    case Wire::string:
      return v.kind == Kind::string;
    case Wire::integer:
    case Wire::unsigned_integer:
    case Wire::number:
      return number_fits(v, w);
    case Wire::string_list:
      return all_items(v, Kind::string);
    case Wire::string_or_list:
      return v.kind == Kind::string || all_items(v, Kind::string);
    case Wire::string_map:
      return v.kind == Kind::object &&
             std::all_of(v.members.begin(), v.members.end(),
                         [](const JsonMember& m) { return m.value.kind == Kind::string; });
    case Wire::string_list_list:
      return v.kind == Kind::array && std::all_of(v.items.begin(), v.items.end(),
                                                  [](const Json& i) { return all_items(i, Kind::string); });
    case Wire::unsigned_list:
      return v.kind == Kind::array && std::all_of(v.items.begin(), v.items.end(), [](const Json& i) {
               return number_fits(i, Wire::unsigned_integer);
             });
    case Wire::object:
      return v.kind == Kind::object;
    case Wire::object_list:
      return all_items(v, Kind::object);
    case Wire::object_map:
      return v.kind == Kind::object &&
             std::all_of(v.members.begin(), v.members.end(), [](const JsonMember& m) {
               return m.value.kind == Kind::object || m.value.kind == Kind::null;
             });
    case Wire::object_list_map:
      return v.kind == Kind::object &&
             std::all_of(v.members.begin(), v.members.end(), [](const JsonMember& m) {
               return m.value.kind == Kind::null || all_items(m.value, Kind::object);
             });
  }
  return false;
}

// The zero value Go would leave: false, "", 0, an empty list or map. An object for a struct field is never
// zero: for the pointer fields refused rows hold (ConfigFrom, PluginSpec), even {} makes the pointer non-nil,
// which the engine acts on (the differential oracle found this).
bool is_zero(const Json& v, Wire wire) {
  if (wire == Wire::object) return v.kind == Kind::null;
  switch (v.kind) {
    case Kind::null:
      return true;
    case Kind::boolean:
      return !v.boolean;
    case Kind::string:
      return v.text.empty();
    case Kind::number:
      return std::strtod(std::string(v.text).c_str(), nullptr) == 0;
    case Kind::array:
      return v.items.empty();
    case Kind::object:
      return v.members.empty();
  }
  return false;
}

// Where a value is, as a chain up to the body: spelt out only for a denial, so that an allowed body builds
// no strings.
struct Path {
  const Path* parent = nullptr;
  std::string_view name;  // a field's name, or a map's key
  long index = -1;        // a list's index; -1 for none
  bool key = false;       // `name` is a map key: [name]

  std::string text() const {
    std::string out = parent != nullptr ? parent->text() : std::string();
    if (index >= 0) return out + "[" + std::to_string(index) + "]";
    if (key) return out + "[" + std::string(name) + "]";
    if (name.empty()) return out;
    return out.empty() ? std::string(name) : out + "." + std::string(name);
  }
};

std::string join(const Path& path, std::string_view name) {
  return Path{&path, name}.text();
}

// go_fold() into a buffer on the stack; a key longer than any field name folds to "" (matching none).
struct FoldedKey {
  char buffer[48];
  std::size_t size = 0;
  explicit FoldedKey(std::string_view key) {
    bool ascii = key.size() <= sizeof buffer;
    for (std::size_t i = 0; ascii && i < key.size(); ++i) {
      auto c = static_cast<unsigned char>(key[i]);
      ascii = c < 0x80;
      buffer[i] = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    if (ascii) {
      size = key.size();
      return;
    }
    std::string folded = go_fold(key);
    if (folded.size() <= sizeof buffer) {
      std::copy(folded.begin(), folded.end(), buffer);
      size = folded.size();
    }
  }
  std::string_view view() const { return {buffer, size}; }
};

// A map's keys are compared exactly (Go's map keys), so only a key written twice alike repeats. Found with
// a small open-addressing set: labels and environment maps share long prefixes, which sorting compares
// again and again.
Denial repeated_map_key(const Json& v, const Path& path) {
  if (v.members.size() < 2) return std::nullopt;
  std::size_t slots = 4;
  while (slots < 2 * v.members.size()) slots *= 2;
  std::vector<const std::string_view*> set(slots, nullptr);
  for (const auto& m : v.members) {
    std::size_t i = std::hash<std::string_view>{}(m.key) & (slots - 1);
    for (; set[i] != nullptr; i = (i + 1) & (slots - 1)) {
      if (*set[i] == m.key) {
        return path.text() + " has the key \"" + std::string(m.key) +
               "\" twice: the engine would keep one of them, so it is refused";
      }
    }
    set[i] = &m.key;
  }
  return std::nullopt;
}

Denial walk_object(const Json& v, const Shape& shape, const Path& path, const Context& context);

Denial walk_field(const Json& v, const Field& f, const Path& path, const Context& context) {
  if (v.kind == Kind::null) return std::nullopt;  // Go leaves the field as it was: absent
  if (!kind_fits(v, f.wire)) return path.text() + " is not " + wire_words(f.wire);
  if (f.verdict == Verdict::refused) {
    if (!is_zero(v, f.wire)) return path.text() + " is set: it " + std::string(f.why);
    return std::nullopt;
  }
  if (f.wire == Wire::string_map || f.wire == Wire::object_map || f.wire == Wire::object_list_map) {
    if (auto d = repeated_map_key(v, path)) return d;
  }
  if (f.shape != nullptr) {
    switch (f.wire) {
      case Wire::object:
        if (auto d = walk_object(v, *f.shape, path, context)) return d;
        break;
      case Wire::object_list:
        for (std::size_t i = 0; i < v.items.size(); ++i) {
          Path at{&path, {}, static_cast<long>(i)};
          if (auto d = walk_object(v.items[i], *f.shape, at, context)) return d;
        }
        break;
      case Wire::object_map:
        for (const auto& m : v.members) {
          if (m.value.kind == Kind::null) continue;
          Path at{&path, m.key, -1, true};
          if (auto d = walk_object(m.value, *f.shape, at, context)) return d;
        }
        break;
      case Wire::object_list_map:
        for (const auto& m : v.members) {
          for (const auto& item : m.value.items) {
            Path at{&path, m.key, -1, true};
            if (auto d = walk_object(item, *f.shape, at, context)) return d;
          }
        }
        break;
      default:
        break;
    }
  }
  if (f.verdict == Verdict::checked && f.check != nullptr) {
    if (auto d = f.check(v, context)) return path.text() + " " + *d;
  }
  return std::nullopt;
}

Denial walk_object(const Json& v, const Shape& shape, const Path& path, const Context& context) {
  // Every key is matched to its row first, so that a repeat is refused as such, whatever its values.
  std::vector<const Field*> rows;
  rows.reserve(v.members.size());
  std::vector<const JsonMember*> seen(shape.fields.size(), nullptr);
  for (const auto& m : v.members) {
    const Field* f = find_field(shape, FoldedKey(m.key).view());
    if (f == nullptr && m.value.kind == Kind::null) {
      // Go's decoder ignores a key it has no field for, and null sets no field of any type: harmless
      // whatever a later API adds (docker-py sends {"NetworkingConfig": {"mynet": null}}).
      rows.push_back(nullptr);
      continue;
    }
    if (f == nullptr) {
      return join(path, m.key) + " is not a field of " + std::string(shape.go_type) +
             " that dockgate knows, so sandboxed roles may not send it";
    }
    const JsonMember*& first = seen[static_cast<std::size_t>(f - shape.fields.data())];
    if (first != nullptr) {
      return join(path, f->name) + " is given twice (as \"" + std::string(first->key) + "\" and \"" +
             std::string(m.key) + "\"): the engine's decoder would combine them, so it is refused";
    }
    first = &m;
    rows.push_back(f);
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] == nullptr) continue;
    if (auto d = walk_field(v.members[i].value, *rows[i], Path{&path, rows[i]->name}, context)) return d;
  }
  if (shape.whole != nullptr) {
    if (auto d = shape.whole(v, context)) {
      std::string where = path.text();
      return (where.empty() ? std::string("the body") : where) + " " + *d;
    }
  }
  return std::nullopt;
}

void collect(const Shape* s, std::vector<const Shape*>& out) {
  if (std::find(out.begin(), out.end(), s) != out.end()) return;
  out.push_back(s);
  for (const auto& f : s->fields) {
    if (f.shape != nullptr) collect(f.shape, out);
  }
}

// api/server/router/build/build_routes.go (20.10): every key the engine reads from a build's query. A
// check decides a value; keys read as lists (r.Form["t"]) may repeat, the others may not.
struct QueryKey {
  std::string_view name;
  bool list;
  Denial (*check)(std::string_view value, const Context& context);
};

Denial refuse_cgroup_parent(std::string_view v, const Context&) {
  if (v.empty()) return std::nullopt;
  return std::string("places the build's containers in a cgroup of the host's choosing");
}
Denial build_network(std::string_view v, const Context& c) {
  Json j;
  j.kind = Kind::string;
  j.text = v;
  return checks::network_mode(j, c);
}
Denial build_security_opt(std::string_view v, const Context& c) {
  Json list;
  list.kind = Kind::array;
  Json& item = list.items.emplace_back();
  item.kind = Kind::string;
  item.text = v;
  return checks::security_opt(list, c);
}
Denial classic_builder(std::string_view v, const Context&) {
  if (v.empty() || v == "1") return std::nullopt;
  return std::string(
      "asks for BuildKit, whose steps dockgate cannot judge yet: build with the classic builder "
      "(DOCKER_BUILDKIT=0)");
}

constexpr std::array<QueryKey, 33> kBuildQuery = {{
    {"t", true, nullptr},
    {"dockerfile", false, nullptr},
    {"extrahosts", true, nullptr},
    {"platform", false, nullptr},
    {"q", false, nullptr},
    {"nocache", false, nullptr},
    {"rm", false, nullptr},
    {"forcerm", false, nullptr},
    {"pull", false, nullptr},
    {"memory", false, nullptr},
    {"memswap", false, nullptr},
    {"cpushares", false, nullptr},
    {"cpuquota", false, nullptr},
    {"cpuperiod", false, nullptr},
    {"cpusetcpus", false, nullptr},
    {"cpusetmems", false, nullptr},
    {"cgroupparent", false, refuse_cgroup_parent},
    {"shmsize", false, nullptr},
    {"squash", false, nullptr},
    {"networkmode", false, build_network},
    {"isolation", false, nullptr},
    {"ulimits", false, nullptr},
    {"buildargs", false, nullptr},
    {"labels", false, nullptr},
    {"cachefrom", false, nullptr},
    {"target", false, nullptr},
    {"session", false, nullptr},
    {"buildid", false, nullptr},
    {"outputs", false, nullptr},
    {"version", false, classic_builder},
    {"remote", false, nullptr},
    {"securityopt", true, build_security_opt},
    {"all", false, nullptr},
}};

}  // namespace

std::span<const BodySchema> body_schemas() {
  return kSchemas;
}

std::vector<const Shape*> all_shapes() {
  std::vector<const Shape*> out;
  for (const auto& s : kSchemas) collect(s.shape, out);
  return out;
}

bool has_schema(std::string_view endpoint) {
  return std::any_of(kSchemas.begin(), kSchemas.end(),
                     [&](const BodySchema& s) { return s.endpoint == endpoint; });
}

Denial judge_body(std::string_view endpoint, std::string_view body, const Context& context) {
  auto schema = std::find_if(kSchemas.begin(), kSchemas.end(),
                             [&](const BodySchema& s) { return s.endpoint == endpoint; });
  if (schema == kSchemas.end())
    return "the body of " + std::string(endpoint) + " is not one dockgate can judge";
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return std::nullopt;  // the engine refuses it
  try {
    JsonDocument doc(body);
    if (doc.root().kind != Kind::object) return std::string("the body is not a JSON object");
    return walk_object(doc.root(), *schema->shape, Path{}, context);
  } catch (const JsonError& e) {
    return std::string("the body is not plain JSON: ") + e.what();
  }
}

Denial judge_object(const Json& object, const Shape& shape, const Context& context) {
  if (object.kind != Kind::object) return std::string("the value is not a JSON object");
  return walk_object(object, shape, Path{}, context);
}

Denial judge_build_query(std::string_view query, const Context& context) {
  auto pairs = parse_query(query);
  if (!pairs) {
    return std::string(
        "the query has a pair the engine would skip (a ';' or a malformed escape), which "
        "could hide another value");
  }
  std::vector<std::string_view> seen;
  for (const auto& pair : *pairs) {
    const std::string& key = pair.first;
    const std::string& value = pair.second;
    auto row = std::find_if(kBuildQuery.begin(), kBuildQuery.end(),
                            [&](const QueryKey& k) { return k.name == key; });
    if (row == kBuildQuery.end()) {
      return "the build parameter \"" + key +
             "\" is not one dockgate knows, so sandboxed roles may not send it";
    }
    if (!row->list && std::find(seen.begin(), seen.end(), row->name) != seen.end()) {
      return "the build parameter \"" + key + "\" is given twice: the engine reads only the first";
    }
    seen.push_back(row->name);
    if (row->check != nullptr) {
      if (auto d = row->check(value, context)) {
        std::string out = key;
        out.append("=").append(value).append(" ").append(*d);
        return out;
      }
    }
  }
  return std::nullopt;
}

const char* wire_name(Wire w) {
  switch (w) {
    case Wire::boolean:
      return "boolean";
    case Wire::string:
      return "string";
    case Wire::integer:
      return "integer";
    case Wire::unsigned_integer:
      return "unsigned";
    case Wire::number:
      return "number";
    case Wire::string_list:
      return "string_list";
    case Wire::string_or_list:
      return "string_or_list";
    case Wire::string_map:
      return "string_map";
    case Wire::string_list_list:
      return "string_list_list";
    case Wire::unsigned_list:
      return "unsigned_list";
    case Wire::object:
      return "object";
    case Wire::object_list:
      return "object_list";
    case Wire::object_map:
      return "object_map";
    case Wire::object_list_map:
      return "object_list_map";
  }
  return "?";
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::harmless:
      return "harmless";
    case Verdict::checked:
      return "checked";
    case Verdict::refused:
      return "refused";
  }
  return "?";
}

}  // namespace dockgate::authz::bodies
