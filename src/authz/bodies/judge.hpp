// The sandbox's judgement of a request body and of a build's query, for roles with "sandbox": true. One
// walker reads every key of the body against the tables and refuses, by name, a key with no row, a value
// of the wrong JSON kind, a key that repeats (after Go's case folding in structs, exactly in maps), and a
// value its row does not allow. Refusing what Go would merge means nothing here models Go's merging.
#pragma once

#include <string_view>

#include "authz/bodies/schema.hpp"

namespace dockgate::authz::bodies {

// Whether the body of `endpoint` has a table. An endpoint whose body can escape but has none (plugin
// privileges) is refused to sandboxed roles whatever the body says.
bool has_schema(std::string_view endpoint);

// The first thing in `body` (for `endpoint`, which has a schema) that a sandboxed role may not ask for,
// e.g. "HostConfig.Privileged is set: gives the container every capability and every host device".
Denial judge_body(std::string_view endpoint, std::string_view body, const Context& context);

// The walk itself, for one object against one shape (what judge_body does for a body's top level).
Denial judge_object(const Json& object, const Shape& shape, const Context& context);

// The first bytes of an archive uploaded into a container (PUT /containers/{id}/archive), at most
// kJudgedBodyStart: a compressed archive is refused.
Denial judge_archive_start(std::string_view first_bytes);

// The shape of container.HostConfig, for judging the one a container was created with, as the engine
// stored it.
const Shape& host_config();

// The same for the query of POST /build: every key the engine reads (api/server/router/build), judged as
// Go's url.ParseQuery and FormValue read it; an unknown or repeated key is refused.
Denial judge_build_query(std::string_view query, const Context& context);

}  // namespace dockgate::authz::bodies
