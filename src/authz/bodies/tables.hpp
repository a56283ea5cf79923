// What the table files share: short row constructors, and the shapes more than one body uses.
#pragma once

#include <array>

#include "authz/bodies/checks.hpp"
#include "authz/bodies/schema.hpp"

namespace dockgate::authz::bodies {

// Any value of the right kind.
constexpr Field ok(std::string_view name, Wire wire, const Shape* shape = nullptr) {
  return Field{name, wire, Verdict::harmless, nullptr, shape, {}, {}};
}
// Only the zero value, because of `why`.
constexpr Field no(std::string_view name, Wire wire, std::string_view why) {
  return Field{name, wire, Verdict::refused, nullptr, nullptr, why, {}};
}
// What `check` allows.
constexpr Field checked(std::string_view name, Wire wire, Check check, std::string_view why,
                        const Shape* shape = nullptr) {
  return Field{name, wire, Verdict::checked, check, shape, why, {}};
}
// A row for a field that engines after moby 20.10 read.
constexpr Field since(Field f, std::string_view version) {
  f.since = version;
  return f;
}

template <std::size_t A, std::size_t B>
constexpr std::array<Field, A + B> concat(const std::array<Field, A>& a, const std::array<Field, B>& b) {
  std::array<Field, A + B> out{};
  for (std::size_t i = 0; i < A; ++i) out[i] = a[i];
  for (std::size_t i = 0; i < B; ++i) out[A + i] = b[i];
  return out;
}

// Shapes from container.cpp that service specs use too.
extern const Shape kHostConfig;
extern const Shape kMount;
extern const Shape kHealthConfig;
extern const Shape kUlimit;

// The top-level shapes of each body, for body_schemas().
extern const Shape kContainerCreate;
extern const Shape kContainerUpdate;
extern const Shape kExecCreate;
extern const Shape kVolumeCreate;
extern const Shape kNetworkCreate;
extern const Shape kServiceSpec;

}  // namespace dockgate::authz::bodies
