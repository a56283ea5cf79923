// The container sandbox, as request bodies can break out of it: the checklist applied to the bodies of
// container create and update, exec create, volume create, service create and update, plugin pulls and
// settings, and to the query of a build. Each check names the field at fault.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "authz/go_json.hpp"

namespace dockgate::authz {

// The first way `body` (for endpoint `endpoint_name`) escapes the sandbox, e.g. "HostConfig.Privileged is
// true"; "" when none. `bind_prefixes` are the host paths this role may bind-mount (at a path boundary).
std::string body_escape(std::string_view endpoint_name, const JsonValue& body,
                        const std::vector<std::string>& bind_prefixes);

// The top-level objects of the body for `endpoint_name` that body_escape() reads: parse_go_json can parse
// them at once instead of skipping them first.
std::span<const FieldName> body_fields_read(std::string_view endpoint_name);

// The same for a build's query (`networkmode=host` and the like); "" when none.
std::string build_query_escape(std::string_view query);

// Whether a host path lies under one of the prefixes, comparing whole components and refusing any path
// with . or .. components (which the host would resolve, and we do not).
bool bind_allowed(std::string_view source, const std::vector<std::string>& bind_prefixes);

}  // namespace dockgate::authz
