// The vocabulary of the sandbox's body tables: for every Go struct the engine decodes a judged body into,
// one row per field, saying how Go decodes it and what a sandboxed role may put there. A key with no row
// is refused by name, so a field that a later API adds cannot open a hole silently. The tables live in
// container.cpp, objects.cpp (exec, volume, network) and service.cpp; judge.cpp walks them.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "authz/json.hpp"

namespace dockgate::authz::bodies {

// How Go's encoding/json decodes a field, from the field's Go type.
enum class Wire : unsigned char {
  boolean,           // bool, *bool
  string,            // string and string kinds (NetworkMode, mount.Type, ...)
  integer,           // int kinds, time.Duration
  unsigned_integer,  // uint kinds, os.FileMode
  number,            // float32, float64
  string_list,       // []string
  string_or_list,    // strslice.StrSlice: a string or a list of strings
  string_map,        // map[string]string
  string_list_list,  // [][]string
  unsigned_list,     // [N]uint
  object,            // a struct (or a pointer to one): `shape`
  object_list,       // []struct, []*struct: each a `shape`
  object_map,        // map[string]struct, map[string]*struct: each value a `shape`
  object_list_map,   // map[string][]struct (nat.PortMap): each element a `shape`
};

// What a sandboxed role may put in a field.
enum class Verdict : unsigned char {
  harmless,  // any value of the right kind
  checked,   // the row's check decides
  refused,   // only the zero value: absent, null, false, "", 0, [] or {}
};

// What a check knows besides the value, and what it reports back.
struct Context {
  const std::vector<std::string>* bind_prefixes = nullptr;  // the role's allowed bind-mount sources
  // The value is what the engine stored (a container's HostConfig as inspected), not what a request asks:
  // lists of engine defaults hold the defaults of the engine version that created the object.
  bool engine_state = false;
  // When set, the checks add the names of the existing volumes the value mounts (a Binds "name:/dst", a
  // volume Mount's Source): what the engine will use as the engine holds it, to be judged there.
  std::vector<std::string>* named_volumes = nullptr;
};

// A check's verdict on a value of the right kind: nullopt when allowed, otherwise why not, in words that
// follow the field's path ("HostConfig.CapAdd" + " adds SYS_ADMIN, which ...").
using Denial = std::optional<std::string>;
using Check = Denial (*)(const Json& value, const Context& context);

struct Shape;

struct Field {
  std::string_view name;  // as Go's decoder matches it (the json tag, or the Go field name)
  Wire wire;
  Verdict verdict;
  Check check = nullptr;         // for Verdict::checked
  const Shape* shape = nullptr;  // for the object wires
  std::string_view why = {};     // for refused and checked rows: what the field would hand over
  // The API version that added it, for fields newer than moby 20.10's types; "-" for a field clients still
  // send that no current engine reads.
  std::string_view since = {};
};

struct Shape {
  std::string_view go_type;  // "container.HostConfig", as reflect.Type.String() names it
  std::span<const Field> fields;
  // Decides what depends on several fields of one object (a mount's type and source); runs after every
  // field passed its own row.
  Check whole = nullptr;
};

// A body the sandbox judges, by endpoint name: its top-level shape.
struct BodySchema {
  std::string_view endpoint;
  const Shape* shape;
};

// Every judged body, and every shape reachable from them (for `dockgate policy fields`).
std::span<const BodySchema> body_schemas();
std::vector<const Shape*> all_shapes();

const char* wire_name(Wire w);
const char* verdict_name(Verdict v);

}  // namespace dockgate::authz::bodies
