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
  enum class Kind : unsigned char { container, exec, volume };
  Kind kind = Kind::container;
  std::string name;  // as the request names it (an ID, an ID prefix or a name): the engine resolves it

  bool operator==(const EngineObject&) const = default;
};

// The container or exec that `route` acts on in a way that hands over what it holds or lets it run; nullopt
// for endpoints that do neither (inspect, logs, stop, remove) and for every other endpoint.
std::optional<EngineObject> acted_on(const Route& route);

// The engine path that inspects `object` (unversioned: the engine's own API version), e.g.
// /containers/agent/json; "" when its name is not one the engine could hold, which is refused.
std::string inspect_path(const EngineObject& object);

// `object` in a denial's words: container "agent".
std::string describe(const EngineObject& object);

// The engine's answer (`status`, `body`) on inspecting `object`, judged. A 404 passes: the request will act
// on nothing, or create a new volume. Anything the sandbox would refuse a request to ask, or an answer that
// says nothing certain, is a denial. What the object depends on in turn (an exec's container, a container's
// named volumes) is added to `more`.
bodies::Denial judge_inspected(const EngineObject& object, int status, std::string_view body,
                               const bodies::Context& context, std::vector<EngineObject>& more);

// At most this many objects are inspected for one request; a request that mounts more volumes by name is
// refused (every inspection is a round trip to the engine).
constexpr std::size_t kMaxInspectedObjects = 32;

}  // namespace dockgate::authz
