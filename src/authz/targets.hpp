// The objects at the engine that a sandboxed role's request acts on or mounts, judged as the engine holds
// them: the container it execs into, attaches to, copies into or out of, starts or updates; the exec it
// starts; the volumes it mounts by name. An administrator may have made those with what the sandbox
// refuses a request to ask (a host bind, the host's namespaces, a volume that binds the host's root), and
// using them hands that over as surely as creating them would. The gateway asks the engine about each one
// on every such request (never from a cache) and refuses when the engine cannot say.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authz/bodies/schema.hpp"
#include "authz/endpoints.hpp"

namespace dockgate::authz {

struct EngineObject {
  // `engine` is the engine itself, asked its version (its name is empty): what a request relies on the
  // engine's own code for, where versions differ in whether a sandboxed container can turn it on the host.
  enum class Kind : unsigned char { container, exec, volume, engine };
  Kind kind = Kind::container;
  std::string name;  // as the request names it (an ID, an ID prefix or a name): the engine resolves it

  bool operator==(const EngineObject&) const = default;
};

// The container or exec that `route` acts on in a way that hands over what it holds or lets it run; nullopt
// for endpoints that do neither (inspect, logs, stop, remove) and for every other endpoint.
std::optional<EngineObject> acted_on(const Route& route);

// The engine path that inspects `object` (unversioned: the engine's own API version), e.g.
// /containers/agent/json; none when its name is not one the engine could hold, which is refused.
std::optional<std::string> inspect_path(const EngineObject& object);

// `object` in a denial's words: container "agent".
std::string describe(const EngineObject& object);

// The engine itself, for endpoints whose handler decides whether a sandboxed container can reach the host
// by the engine's version: `docker cp` (HEAD, GET and PUT of /containers/{id}/archive) mounts the
// container's volumes along paths that a running container can swap for symlinks, before engines 25.0.17
// and 29.5.1 (CVE-2026-42306). nullopt for every other endpoint.
std::optional<EngineObject> engine_relied_on(const Route& route);

// Whether an engine of this version (`docker version`'s Server Version: 20.10.24+dfsg1, 29.5.1) mounts for
// `docker cp` only along paths a container cannot redirect: 25.0.17 and later 25.0 releases, 29.5.1 and
// later (a pre-release of those, 29.5.1-rc.1, comes before the fix). An unreadable version is not.
bool archive_mounts_are_safe(std::string_view version);

// What the engine's answer about an object says.
struct Inspected {
  bodies::Denial denial;  // why a request may not use it, or why the answer says nothing certain
  bool missing = false;   // the engine has no such object (404)
  std::string id;         // a container's or exec's full ID, as the engine gave it
};

// The status judge_inspected() takes for an answer larger than kMaxInspectedAnswer, which was not read.
constexpr int kAnswerTooLarge = -1;
constexpr std::size_t kMaxInspectedAnswer = std::size_t{4} << 20;

// The engine's answer (`status`, `body`) on inspecting `object`, judged. Anything the sandbox would refuse a
// request to ask, or an answer that says nothing certain, is a denial. What the object depends on in turn
// (an exec's container, a container's named volumes) is added to `more`.
Inspected judge_inspected(const EngineObject& object, int status, std::string_view body,
                          const bodies::Context& context, std::vector<EngineObject>& more);

// `target` (a request target acted_on() named an object in) naming the object by `id` instead. A name can
// move to another container between the inspection and the request (a rename; the engine tries names
// before ID prefixes), a full ID cannot: the engine tries it first and it names one object for its life.
std::string target_naming(std::string_view target, std::string_view id);

// Whether `text` has the form of a container's or exec's full ID: 64 lower-case hex digits (pkg/stringid).
// The engine takes such a string for a name too, once no object has it as its ID: so containers may not
// be named so through the gateway (Policy::decide).
bool is_full_id(std::string_view text);

// At most this many volumes mounted by name are judged for one request or container (every inspection is
// a round trip to the engine); more are refused.
constexpr std::size_t kMaxNamedVolumes = 32;

}  // namespace dockgate::authz
