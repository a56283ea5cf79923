// Which endpoints act on a container or exec that must be judged, and the judgement of what the engine
// answers about each object (moby 20.10's inspect types: types.ContainerJSON, backend.ExecInspect,
// volume.Volume).
#include "authz/targets.hpp"

#include <algorithm>
#include <array>
#include <tuple>

#include "authz/bodies/checks.hpp"
#include "authz/bodies/judge.hpp"
#include "authz/json.hpp"

namespace dockgate::authz {
namespace {

using Kind = EngineObject::Kind;

// Endpoints that run the container, reach into its file system (mounts included) or its processes' streams,
// or change it: with an escaping container each would hand over what it holds. Others (inspect, logs, stop,
// kill, remove, export of the image layers) do not.
struct ActedOn {
  std::string_view endpoint;
  Kind kind;
};
constexpr std::array<ActedOn, 10> kActedOn = {{
    {"container.exec", Kind::container},
    {"container.attach", Kind::container},
    {"container.attach.ws", Kind::container},
    {"container.archive.get", Kind::container},
    {"container.archive.stat", Kind::container},
    {"container.archive.put", Kind::container},
    {"container.start", Kind::container},
    {"container.restart", Kind::container},
    {"container.update", Kind::container},
    {"exec.start", Kind::exec},
}};

// What the engine accepts as a container's, an exec's or a local volume's name
// (daemon/names: [a-zA-Z0-9][a-zA-Z0-9_.-]*; IDs are hex): nothing else can name an object it holds.
bool plain_name(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  return alnum(name.front()) && std::all_of(name.begin(), name.end(), [&](char c) {
           return alnum(c) || c == '_' || c == '.' || c == '-';
         });
}

const Json* member(const Json& object, std::string_view key) {
  for (const auto& m : object.members) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

std::string id_of(const Json& root, std::string_view key) {
  const Json* id = member(root, key);
  return id != nullptr && id->kind == Json::Kind::string && is_full_id(id->text) ? std::string(id->text)
                                                                                 : std::string();
}

bodies::Denial judge_container(const Json& root, const bodies::Context& context,
                               std::vector<EngineObject>& more) {
  const Json* host_config = member(root, "HostConfig");
  if (host_config == nullptr || host_config->kind != Json::Kind::object) {
    return std::string("the engine's answer has no HostConfig to judge");
  }
  std::vector<std::string> volumes;
  bodies::Context stored = context;
  stored.engine_state = true;
  stored.named_volumes = &volumes;
  if (auto d = bodies::judge_object(*host_config, bodies::host_config(), stored)) return "HostConfig." + *d;
  if (volumes.size() > kMaxNamedVolumes) {
    return "mounts " + std::to_string(volumes.size()) + " volumes by name (at most " +
           std::to_string(kMaxNamedVolumes) + " are judged)";
  }
  for (auto& v : volumes) more.push_back({Kind::volume, std::move(v)});
  return std::nullopt;
}

// An exec an administrator made with --privileged runs with every capability whoever starts it.
bodies::Denial judge_exec(const Json& root, std::vector<EngineObject>& more) {
  const Json* process = member(root, "ProcessConfig");
  const Json* privileged = process != nullptr ? member(*process, "privileged") : nullptr;
  const Json* container = member(root, "ContainerID");
  if (privileged == nullptr || privileged->kind != Json::Kind::boolean || container == nullptr ||
      container->kind != Json::Kind::string || !is_full_id(container->text)) {
    return std::string("the engine's answer does not say whether it is privileged and where it runs");
  }
  if (privileged->boolean) return std::string("runs privileged (docker exec --privileged)");
  more.push_back({Kind::container, std::string(container->text)});
  return std::nullopt;
}

// A volume is the local driver's own directory unless its options mount something else there (o=bind,
// device=/): the same rules as for creating one.
bodies::Denial judge_volume(const Json& root, const bodies::Context& context) {
  const Json* driver = member(root, "Driver");
  if (driver == nullptr || driver->kind != Json::Kind::string) {
    return std::string("the engine's answer does not name its driver");
  }
  if (auto d = bodies::checks::volume_driver(*driver, context)) return "Driver " + *d;
  const Json* options = member(root, "Options");
  if (options == nullptr || options->kind == Json::Kind::null) return std::nullopt;
  if (options->kind != Json::Kind::object)
    return std::string("the engine's answer has Options of an odd kind");
  if (auto d = bodies::checks::volume_options(*options, context)) return "Options " + *d;
  return std::nullopt;
}

}  // namespace

bool is_full_id(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::optional<EngineObject> acted_on(const Route& route) {
  if (route.endpoint == nullptr) return std::nullopt;
  const std::string_view name = route.endpoint->name;
  auto row =
      std::find_if(kActedOn.begin(), kActedOn.end(), [&](const ActedOn& a) { return a.endpoint == name; });
  if (row == kActedOn.end()) return std::nullopt;
  // Every such path is /containers/{}/... or /exec/{}/...: the object is the second segment.
  std::string_view path = route.path;
  std::size_t start = path.find('/', 1);
  if (start == std::string_view::npos) return std::nullopt;
  std::size_t end = path.find('/', start + 1);
  return EngineObject{
      row->kind, std::string(path.substr(start + 1, end == std::string_view::npos ? end : end - start - 1))};
}

std::optional<EngineObject> engine_relied_on(const Route& route) {
  if (route.endpoint == nullptr) return std::nullopt;
  const std::string_view name = route.endpoint->name;
  if (name == "container.archive.get" || name == "container.archive.stat" ||
      name == "container.archive.put") {
    return EngineObject{Kind::engine, ""};
  }
  return std::nullopt;
}

bool archive_mounts_are_safe(std::string_view version) {
  // MAJOR.MINOR.PATCH, then build metadata (+dfsg1) or a pre-release (-rc.1, ~rc1), which comes before the
  // release of its numbers: so a pre-release must be above the fixed release, not at it.
  std::array<unsigned, 3> v{};
  std::size_t at = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::size_t start = at;
    while (at < version.size() && version[at] >= '0' && version[at] <= '9' && at - start < 6) {
      v[i] = v[i] * 10 + static_cast<unsigned>(version[at] - '0');
      ++at;
    }
    if (at == start) return false;
    if (i + 1 < v.size()) {
      if (at >= version.size() || version[at] != '.') return false;
      ++at;
    }
  }
  const bool pre_release = at < version.size() && (version[at] == '-' || version[at] == '~');
  auto at_least = [&](std::tuple<unsigned, unsigned, unsigned> fixed) {
    auto have = std::tuple(v[0], v[1], v[2]);
    return pre_release ? have > fixed : have >= fixed;
  };
  if (v[0] == 25 && v[1] == 0) return at_least({25u, 0u, 17u});  // the fix's backport (moby v25.0.17)
  return at_least({29u, 5u, 1u});
}

std::optional<std::string> inspect_path(const EngineObject& object) {
  if (object.kind == Kind::engine) return std::string("/version");
  if (!plain_name(object.name)) return std::nullopt;
  switch (object.kind) {
    case Kind::container:
      return "/containers/" + object.name + "/json";
    case Kind::exec:
      return "/exec/" + object.name + "/json";
    case Kind::volume:
      return "/volumes/" + object.name;
    case Kind::engine:
      break;
  }
  return std::nullopt;
}

std::string describe(const EngineObject& object) {
  if (object.kind == Kind::engine) return "the engine";
  const char* kind = object.kind == Kind::container ? "container"
                     : object.kind == Kind::exec    ? "exec"
                                                    : "volume";
  return std::string(kind) + " \"" + object.name + "\"";
}

namespace {

// The engine's answer to GET /version (types.Version): its Version, judged for `docker cp`.
bodies::Denial judge_engine(const Json& root) {
  const Json* version = member(root, "Version");
  if (version == nullptr || version->kind != Json::Kind::string) {
    return std::string(
        "gave no version when asked, so the sandbox cannot tell whether docker cp is safe on it");
  }
  if (archive_mounts_are_safe(version->text)) return std::nullopt;
  return "is version " + std::string(version->text) +
         ", whose docker cp mounts the container's volumes along paths a running container can redirect onto "
         "the host (CVE-2026-42306, fixed in 25.0.17 and 29.5.1): upgrade the engine, or copy through docker "
         "exec with tar";
}

}  // namespace

Inspected judge_inspected(const EngineObject& object, int status, std::string_view body,
                          const bodies::Context& context, std::vector<EngineObject>& more) {
  Inspected out;
  if (object.kind == Kind::engine && status != 200) {
    out.denial = "answered " + std::to_string(status) +
                 " when asked its version, so the sandbox cannot tell whether docker cp is safe on it";
    return out;
  }
  if (status == 404) {
    out.missing = true;
    return out;
  }
  if (status == kAnswerTooLarge) {
    out.denial = "is described by the engine in more than " + std::to_string(kMaxInspectedAnswer >> 20) +
                 " MiB, more than the sandbox reads";
    return out;
  }
  if (status != 200) {
    out.denial = "the engine answered " + std::to_string(status) +
                 " when asked what it is, so the sandbox cannot judge it";
    return out;
  }
  try {
    JsonDocument doc(body);
    const Json& root = doc.root();
    if (root.kind != Json::Kind::object) {
      out.denial = "the engine's answer is not a JSON object";
      return out;
    }
    switch (object.kind) {
      case Kind::container:
        out.id = id_of(root, "Id");
        out.denial = judge_container(root, context, more);
        break;
      case Kind::exec:
        out.id = id_of(root, "ID");
        out.denial = judge_exec(root, more);
        break;
      case Kind::volume:
        out.denial = judge_volume(root, context);
        return out;
      case Kind::engine:
        out.denial = judge_engine(root);
        return out;
    }
    if (!out.denial && out.id.empty()) out.denial = "the engine's answer gives no full ID for it";
  } catch (const JsonError& e) {
    out.denial = std::string("the engine's answer is not plain JSON: ") + e.what();
  }
  return out;
}

std::string target_naming(std::string_view target, std::string_view id) {
  // /containers/NAME/..., /exec/ID/..., after an optional /vX.Y (as route() reads it): the object is the
  // segment after the first.
  std::size_t at = 1;
  std::string_view first = target.substr(1, target.find('/', 1) - 1);
  if (first.size() > 1 && first.front() == 'v' && std::all_of(first.begin() + 1, first.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == '.';
      })) {
    at = 1 + first.size() + 1;
  }
  std::size_t start = target.find('/', at) + 1;
  std::size_t end = target.find_first_of("/?", start);
  if (end == std::string_view::npos) end = target.size();
  std::string out(target.substr(0, start));
  out.append(id).append(target.substr(end));
  return out;
}

}  // namespace dockgate::authz
