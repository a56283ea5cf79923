// The Docker Engine API as data: every endpoint with its method, path pattern, name and the category
// policies reason over, and routing a request to one of them the way the engine's router would. Paths
// that the engine would resolve differently from their text are refused here, never guessed at.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dockgate::authz {

// What an endpoint does, coarsely: what the built-in roles are defined over.
enum class Category {
  ping,             // /_ping
  system_read,      // version, info, events, df
  container_list,   // GET /containers/json
  container_read,   // inspect, top, changes, stats, wait
  container_data,   // logs, archive (read), export, attach: the data inside a container
  container_write,  // create, start, stop, kill, update, rename, remove, archive (write), exec ...
  image_list,       // GET /images/json
  image_read,       // inspect, history, search
  image_data,       // save (get)
  image_write,      // pull, push, tag, remove, load, build, prune, commit
  network_read,
  network_write,
  volume_read,
  volume_write,
  swarm_read,
  swarm_write,  // swarm, nodes, services, tasks
  secret_read,
  secret_write,
  config_read,
  config_write,
  plugin_read,
  plugin_write,
  session,   // BuildKit /session and /grpc: opaque streams
  outbound,  // the engine connects where the request says: pulls, pushes, search, /auth, remote builds
  gateway,   // dockgate's own endpoints (/_dockgate/...)
};

const char* category_name(Category c);

// What of a request's body a sandboxed role's request is judged by.
enum class BodyJudged : unsigned char {
  none,   // nothing in it can escape the sandbox
  whole,  // a JSON body the engine decodes into settings: read whole (at most kMaxInspectedBody) first
  start,  // a stream the engine treats by its first bytes (an archive's compression): those are judged
};

struct Endpoint {
  const char* method;   // "GET", "POST", ... ("GET" also matches HEAD)
  const char* pattern;  // "/containers/{}/json"; "{}" is one segment, "{*}" one or more (image names)
  const char* name;     // "container.inspect": what policies and audit name it
  Category category;
  BodyJudged body;
  // When set, the row matches only a request whose (encoded) query this says yes to: the engine does
  // different things on one path by a query parameter (POST /build?remote=URL fetches from the network).
  bool (*query_matches)(std::string_view query) = nullptr;
};

const std::vector<Endpoint>& endpoints();

// A request as routing sees it.
struct Route {
  const Endpoint* endpoint = nullptr;  // null when no endpoint matches
  std::string path;                    // without the /vX.Y prefix and query
  std::string query;                   // after '?', still encoded
  std::string version;                 // the API version of a /vX.Y prefix, "" without one
  std::optional<std::string> refused;  // set: why this path is refused outright, whatever the policy
};

// Routes `method` and `target` (the request target as sent).
Route route(std::string_view method, std::string_view target);

// Every pair of an encoded query string, decoded as Go's url.ParseQuery does; nullopt when Go would skip a
// pair (one holding ';' or a malformed escape), which a judge must refuse rather than read past.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

// Whether version `a` ("1.23") is older than `b`, comparing each dotted number.
bool version_older(std::string_view a, std::string_view b);

// The first value of `key` in an encoded query string, decoded as Go's url.ParseQuery does ('+' is a
// space, %XX a byte); "" when absent. What the engine's r.FormValue(key) returns.
std::string query_value(std::string_view query, std::string_view key);

}  // namespace dockgate::authz
