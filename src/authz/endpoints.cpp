// The endpoint table, after moby's api/server/router/*/ (20.10), and the router. The engine's router
// (gorilla/mux) matches the raw path case-sensitively, takes an optional /v{version} prefix, and treats
// each segment literally; we refuse what a different parser might read differently: dot segments, empty
// segments, percent-encoding and backslashes in the path.
#include "authz/endpoints.hpp"

#include <algorithm>
#include <optional>

namespace dockgate::authz {
namespace {

using C = Category;
using B = BodyJudged;

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  out.reserve(8);  // deeper than any endpoint: one allocation per path
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

using Segments = std::vector<std::string_view>;

// An endpoint's method and pattern, split once when the table is first used (routing runs on every
// request, so the path is split once and nothing else is measured per request).
struct CompiledPattern {
  std::string_view method;
  Segments segments;
  size_t wildcard;  // the index of "{*}"; segments.size() when there is none
};

// Whether split path `s` fits pattern `p`.
bool matches(const CompiledPattern& p, const Segments& s) {
  auto segment_ok = [](std::string_view pat, std::string_view seg) {
    return pat == "{}" ? !seg.empty() : pat == seg;
  };
  const Segments& ps = p.segments;
  if (p.wildcard == ps.size()) {
    if (ps.size() != s.size()) return false;
    for (size_t i = 0; i < ps.size(); ++i) {
      if (!segment_ok(ps[i], s[i])) return false;
    }
    return true;
  }
  size_t before = p.wildcard;
  size_t after = ps.size() - before - 1;
  if (s.size() < before + after + 1) return false;
  for (size_t i = 0; i < before; ++i) {
    if (!segment_ok(ps[i], s[i])) return false;
  }
  for (size_t i = 0; i < after; ++i) {
    if (!segment_ok(ps[before + 1 + i], s[s.size() - after + i])) return false;
  }
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's url.QueryUnescape: '+' is a space, %XX a byte; a malformed escape makes the whole pair invalid.
std::optional<std::string> decode_query_part(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size() || hex_digit(s[i + 1]) < 0 || hex_digit(s[i + 2]) < 0) return std::nullopt;
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// POST /images/create?fromSrc=- imports the request body; any other fromSrc, or fromImage, is fetched.
bool imports_from_body(std::string_view query) {
  return query_value(query, "fromSrc") == "-";
}

// POST /build?remote=URL has the engine fetch the context (a Git repository or a tarball); client-session
// is BuildKit's context from the client.
bool builds_from_remote(std::string_view query) {
  std::string remote = query_value(query, "remote");
  return !remote.empty() && remote != "client-session";
}

}  // namespace

const char* category_name(Category c) {
  switch (c) {
    case C::ping:
      return "ping";
    case C::system_read:
      return "system.read";
    case C::container_list:
      return "container.list";
    case C::container_read:
      return "container.read";
    case C::container_data:
      return "container.data";
    case C::container_write:
      return "container.write";
    case C::image_list:
      return "image.list";
    case C::image_read:
      return "image.read";
    case C::image_data:
      return "image.data";
    case C::image_write:
      return "image.write";
    case C::network_read:
      return "network.read";
    case C::network_write:
      return "network.write";
    case C::volume_read:
      return "volume.read";
    case C::volume_write:
      return "volume.write";
    case C::swarm_read:
      return "swarm.read";
    case C::swarm_write:
      return "swarm.write";
    case C::secret_read:
      return "secret.read";
    case C::secret_write:
      return "secret.write";
    case C::config_read:
      return "config.read";
    case C::config_write:
      return "config.write";
    case C::plugin_read:
      return "plugin.read";
    case C::plugin_write:
      return "plugin.write";
    case C::session:
      return "session";
    case C::outbound:
      return "outbound";
    case C::gateway:
      return "gateway";
  }
  return "?";
}

// clang-format off
const std::vector<Endpoint>& endpoints() {
  static const std::vector<Endpoint> table = {
      {"GET", "/_ping", "system.ping", C::ping, B::none},
      {"GET", "/version", "system.version", C::system_read, B::none},
      {"GET", "/info", "system.info", C::system_read, B::none},
      {"GET", "/events", "system.events", C::system_read, B::none},
      {"GET", "/system/df", "system.df", C::system_read, B::none},
      {"POST", "/auth", "system.auth", C::outbound, B::none},
      {"GET", "/_dockgate/whoami", "dockgate.whoami", C::gateway, B::none},

      {"GET", "/containers/json", "container.list", C::container_list, B::none},
      {"POST", "/containers/create", "container.create", C::container_write, B::whole},
      {"POST", "/containers/prune", "container.prune", C::container_write, B::none},
      {"GET", "/containers/{}/json", "container.inspect", C::container_read, B::none},
      {"GET", "/containers/{}/top", "container.top", C::container_read, B::none},
      {"GET", "/containers/{}/changes", "container.changes", C::container_read, B::none},
      {"GET", "/containers/{}/stats", "container.stats", C::container_read, B::none},
      {"POST", "/containers/{}/wait", "container.wait", C::container_read, B::none},
      {"GET", "/containers/{}/logs", "container.logs", C::container_data, B::none},
      {"GET", "/containers/{}/export", "container.export", C::container_data, B::none},
      {"GET", "/containers/{}/archive", "container.archive.get", C::container_data, B::none},
      {"HEAD", "/containers/{}/archive", "container.archive.stat", C::container_data, B::none},
      {"PUT", "/containers/{}/archive", "container.archive.put", C::container_write, B::start},
      {"POST", "/containers/{}/attach", "container.attach", C::container_data, B::none},
      {"GET", "/containers/{}/attach/ws", "container.attach.ws", C::container_data, B::none},
      {"POST", "/containers/{}/start", "container.start", C::container_write, B::none},
      {"POST", "/containers/{}/stop", "container.stop", C::container_write, B::none},
      {"POST", "/containers/{}/restart", "container.restart", C::container_write, B::none},
      {"POST", "/containers/{}/kill", "container.kill", C::container_write, B::none},
      {"POST", "/containers/{}/pause", "container.pause", C::container_write, B::none},
      {"POST", "/containers/{}/unpause", "container.unpause", C::container_write, B::none},
      {"POST", "/containers/{}/rename", "container.rename", C::container_write, B::none},
      {"POST", "/containers/{}/resize", "container.resize", C::container_write, B::none},
      {"POST", "/containers/{}/update", "container.update", C::container_write, B::whole},
      {"POST", "/containers/{}/exec", "container.exec", C::container_write, B::whole},
      {"DELETE", "/containers/{}", "container.remove", C::container_write, B::none},
      {"POST", "/exec/{}/start", "exec.start", C::container_write, B::none},
      {"POST", "/exec/{}/resize", "exec.resize", C::container_write, B::none},
      {"GET", "/exec/{}/json", "exec.inspect", C::container_read, B::none},
      {"POST", "/commit", "image.commit", C::image_write, B::none},

      {"GET", "/images/json", "image.list", C::image_list, B::none},
      {"GET", "/images/search", "image.search", C::outbound, B::none},
      {"GET", "/images/get", "image.save", C::image_data, B::none},
      {"GET", "/images/{*}/get", "image.save", C::image_data, B::none},
      {"GET", "/images/{*}/json", "image.inspect", C::image_read, B::none},
      {"GET", "/images/{*}/history", "image.history", C::image_read, B::none},
      {"POST", "/images/create", "image.import", C::image_write, B::none, imports_from_body},
      {"POST", "/images/create", "image.pull", C::outbound, B::none},
      {"POST", "/images/load", "image.load", C::image_write, B::none},
      {"POST", "/images/prune", "image.prune", C::image_write, B::none},
      {"POST", "/images/{*}/push", "image.push", C::outbound, B::none},
      {"POST", "/images/{*}/tag", "image.tag", C::image_write, B::none},
      {"DELETE", "/images/{*}", "image.remove", C::image_write, B::none},
      {"POST", "/build", "image.build.remote", C::outbound, B::none, builds_from_remote},
      {"POST", "/build", "image.build", C::image_write, B::none},
      {"POST", "/build/prune", "image.build.prune", C::image_write, B::none},
      {"POST", "/build/cancel", "image.build.cancel", C::image_write, B::none},
      {"POST", "/session", "build.session", C::session, B::none},
      {"POST", "/grpc", "build.grpc", C::session, B::none},
      {"GET", "/distribution/{*}/json", "distribution.inspect", C::outbound, B::none},

      {"GET", "/networks", "network.list", C::network_read, B::none},
      {"GET", "/networks/", "network.list", C::network_read, B::none},
      {"GET", "/networks/{}", "network.inspect", C::network_read, B::none},
      {"POST", "/networks/create", "network.create", C::network_write, B::whole},
      {"POST", "/networks/prune", "network.prune", C::network_write, B::none},
      {"POST", "/networks/{}/connect", "network.connect", C::network_write, B::none},
      {"POST", "/networks/{}/disconnect", "network.disconnect", C::network_write, B::none},
      {"DELETE", "/networks/{}", "network.remove", C::network_write, B::none},

      {"GET", "/volumes", "volume.list", C::volume_read, B::none},
      {"GET", "/volumes/{}", "volume.inspect", C::volume_read, B::none},
      {"POST", "/volumes/create", "volume.create", C::volume_write, B::whole},
      {"POST", "/volumes/prune", "volume.prune", C::volume_write, B::none},
      {"DELETE", "/volumes/{}", "volume.remove", C::volume_write, B::none},

      {"GET", "/swarm", "swarm.inspect", C::secret_read, B::none},  // holds the join tokens
      {"GET", "/swarm/unlockkey", "swarm.unlockkey", C::secret_read, B::none},
      {"POST", "/swarm/init", "swarm.init", C::swarm_write, B::none},
      {"POST", "/swarm/join", "swarm.join", C::swarm_write, B::none},
      {"POST", "/swarm/leave", "swarm.leave", C::swarm_write, B::none},
      {"POST", "/swarm/update", "swarm.update", C::swarm_write, B::none},
      {"POST", "/swarm/unlock", "swarm.unlock", C::swarm_write, B::none},
      {"GET", "/nodes", "node.list", C::swarm_read, B::none},
      {"GET", "/nodes/{}", "node.inspect", C::swarm_read, B::none},
      {"POST", "/nodes/{}/update", "node.update", C::swarm_write, B::none},
      {"DELETE", "/nodes/{}", "node.remove", C::swarm_write, B::none},
      {"GET", "/services", "service.list", C::swarm_read, B::none},
      {"GET", "/services/{}", "service.inspect", C::swarm_read, B::none},
      {"GET", "/services/{}/logs", "service.logs", C::container_data, B::none},
      {"POST", "/services/create", "service.create", C::swarm_write, B::whole},
      {"POST", "/services/{}/update", "service.update", C::swarm_write, B::whole},
      {"DELETE", "/services/{}", "service.remove", C::swarm_write, B::none},
      {"GET", "/tasks", "task.list", C::swarm_read, B::none},
      {"GET", "/tasks/{}", "task.inspect", C::swarm_read, B::none},
      {"GET", "/tasks/{}/logs", "task.logs", C::container_data, B::none},
      {"GET", "/secrets", "secret.list", C::secret_read, B::none},
      {"GET", "/secrets/{}", "secret.inspect", C::secret_read, B::none},
      {"POST", "/secrets/create", "secret.create", C::secret_write, B::none},
      {"POST", "/secrets/{}/update", "secret.update", C::secret_write, B::none},
      {"DELETE", "/secrets/{}", "secret.remove", C::secret_write, B::none},
      {"GET", "/configs", "config.list", C::config_read, B::none},
      {"GET", "/configs/{}", "config.inspect", C::config_read, B::none},
      {"POST", "/configs/create", "config.create", C::config_write, B::none},
      {"POST", "/configs/{}/update", "config.update", C::config_write, B::none},
      {"DELETE", "/configs/{}", "config.remove", C::config_write, B::none},

      {"GET", "/plugins", "plugin.list", C::plugin_read, B::none},
      {"GET", "/plugins/privileges", "plugin.privileges", C::outbound, B::none},
      {"GET", "/plugins/{*}/json", "plugin.inspect", C::plugin_read, B::none},
      {"POST", "/plugins/pull", "plugin.pull", C::plugin_write, B::whole},
      {"POST", "/plugins/create", "plugin.create", C::plugin_write, B::none},
      {"POST", "/plugins/{*}/enable", "plugin.enable", C::plugin_write, B::none},
      {"POST", "/plugins/{*}/disable", "plugin.disable", C::plugin_write, B::none},
      {"POST", "/plugins/{*}/upgrade", "plugin.upgrade", C::plugin_write, B::whole},
      {"POST", "/plugins/{*}/push", "plugin.push", C::plugin_write, B::none},
      {"POST", "/plugins/{*}/set", "plugin.set", C::plugin_write, B::whole},
      {"DELETE", "/plugins/{*}", "plugin.remove", C::plugin_write, B::none},
  };
  return table;
}
// clang-format on

Route route(std::string_view method, std::string_view target) {
  Route r;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (q != std::string_view::npos) r.query = target.substr(q + 1);
  // What gorilla/mux and Go's net/url would read differently from the bytes (and path traversal in
  // general): refuse before any matching.
  if (path.find("//") != std::string_view::npos) r.refused = "an empty segment (//)";
  if (path.find('%') != std::string_view::npos) r.refused = "percent-encoding";
  if (path.find('\\') != std::string_view::npos) r.refused = "a backslash";
  for (auto seg : split(path)) {
    if (seg == "." || seg == "..") r.refused = "a dot segment (. or ..)";
  }
  if (path.size() > 2 && path[1] == 'v') {
    size_t slash = path.find('/', 1);
    std::string_view version = path.substr(2, slash == std::string_view::npos ? slash : slash - 2);
    bool is_version = !version.empty() && std::all_of(version.begin(), version.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '.';
    });
    if (is_version) {
      r.version = version;
      path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
    }
  }
  r.path = path;
  if (r.refused) return r;
  static const std::vector<CompiledPattern> patterns = [] {
    std::vector<CompiledPattern> out;
    for (const auto& e : endpoints()) {
      Segments segments = split(e.pattern);
      size_t wildcard =
          static_cast<size_t>(std::find(segments.begin(), segments.end(), "{*}") - segments.begin());
      out.push_back({e.method, std::move(segments), wildcard});
    }
    return out;
  }();
  Segments segments = split(path);
  // An endpoint for the exact method first (HEAD /containers/{}/archive has its own), then HEAD as GET,
  // as Go's router serves HEAD with the GET handler.
  const std::vector<Endpoint>& table = endpoints();
  for (bool exact : {true, false}) {
    for (size_t i = 0; i < table.size(); ++i) {
      std::string_view em = patterns[i].method;
      bool method_ok = exact ? em == method : (method == "HEAD" && em == "GET");
      if (method_ok && matches(patterns[i], segments) &&
          (table[i].query_matches == nullptr || table[i].query_matches(r.query))) {
        r.endpoint = &table[i];
        return r;
      }
    }
  }
  return r;
}

namespace {

// Every pair of an encoded query as Go's url.ParseQuery (1.17+) reads it: split on '&', empty pairs
// ignored, a pair holding ';' or a malformed escape skipped (the engine never sees it). `each` gets the
// decoded key and value of a kept pair, or two nullopts for a skipped one, and returns whether to go on.
template <class Each>
void for_each_pair(std::string_view query, Each each) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::optional<std::string> k, v;
      if (pair.find(';') == std::string_view::npos) {
        k = decode_query_part(pair.substr(0, eq));
        v = eq == std::string_view::npos ? std::optional<std::string>("")
                                         : decode_query_part(pair.substr(eq + 1));
      }
      bool kept = k && v;
      if (!each(kept ? std::move(k) : std::nullopt, kept ? std::move(v) : std::nullopt)) return;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

}  // namespace

std::string query_value(std::string_view query, std::string_view key) {
  // A skipped pair is passed over, so a later valid pair with the same key is the one the engine sees.
  std::string found;
  for_each_pair(query, [&](std::optional<std::string> k, std::optional<std::string> v) {
    if (!k || *k != key) return true;
    found = std::move(*v);
    return false;
  });
  return found;
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  bool skipped = false;
  for_each_pair(query, [&](std::optional<std::string> k, std::optional<std::string> v) {
    if (!k) {
      skipped = true;
      return false;
    }
    out.emplace_back(std::move(*k), std::move(*v));
    return true;
  });
  if (skipped) return std::nullopt;
  return out;
}

bool version_older(std::string_view a, std::string_view b) {
  // api/types/versions.compare: dotted numbers, a missing part counts as 0.
  while (!a.empty() || !b.empty()) {
    auto next = [](std::string_view& s) {
      size_t dot = s.find('.');
      std::string_view part = s.substr(0, dot);
      s = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
      long n = 0;
      for (char c : part) n = n < 1000000 ? n * 10 + (c - '0') : n;  // no engine version is this long
      return n;
    };
    long x = next(a), y = next(b);
    if (x != y) return x < y;
  }
  return false;
}

}  // namespace dockgate::authz
