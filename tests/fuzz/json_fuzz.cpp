// The strict JSON reader and the sandbox's judgement on arbitrary bytes: every body schema, the build query
// and the engine's inspect answers. Nothing may crash or loop, and a body the walker allows parses.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "authz/bodies/judge.hpp"
#include "authz/json.hpp"
#include "authz/targets.hpp"

using namespace dockgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  bool parses = true;
  try {
    authz::JsonDocument doc(input);
    (void)doc.root();
  } catch (const authz::JsonError&) {
    parses = false;
  }
  static const std::vector<std::string> prefixes = {"/srv"};
  std::vector<std::string> volumes;
  authz::bodies::Context context{&prefixes, false, &volumes};
  for (const auto& schema : authz::bodies::body_schemas()) {
    auto denial = authz::bodies::judge_body(schema.endpoint, input, context);
    bool blank = input.find_first_not_of(" \t\r\n") == std::string_view::npos;
    if (!denial && !parses && !blank) std::abort();  // allowed what is not JSON
  }
  (void)authz::bodies::judge_build_query(input, context);
  (void)authz::bodies::judge_archive_start(input);
  for (auto kind : {authz::EngineObject::Kind::container, authz::EngineObject::Kind::exec,
                    authz::EngineObject::Kind::volume}) {
    std::vector<authz::EngineObject> more;
    (void)authz::judge_inspected({kind, "x"}, 200, input, authz::bodies::Context{&prefixes}, more);
  }
  (void)authz::go_fold(input);
  return 0;
}
