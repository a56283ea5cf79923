// The request and response head parsers and the router, on arbitrary bytes: they either accept a head or
// throw BadMessage, and what they accept is stable (the canonical form parses to the same request).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "authz/endpoints.hpp"
#include "http/head.hpp"

using namespace dockgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::optional<std::size_t> head;
  try {
    head = http::head_size(input, 64 * 1024);
  } catch (const http::BadMessage&) {
    return 0;
  }
  if (!head) return 0;
  if (*head > input.size()) std::abort();
  std::string_view text = input.substr(0, *head);
  try {
    http::RequestHead request = http::parse_request_head(text);
    http::Framing framing = http::request_framing(request);
    (void)http::keeps_alive(request);
    (void)http::wants_upgrade(request);
    authz::Route route = authz::route(request.method, request.target);
    (void)route;
    // What is sent on parses again to the same request.
    std::string out = http::serialize(request);
    http::RequestHead again = http::parse_request_head(out);
    if (again.method != request.method || again.target != request.target ||
        again.headers.list.size() != request.headers.list.size()) {
      std::abort();
    }
    http::Framing framing_again = http::request_framing(again);
    if (framing_again.kind != framing.kind || framing_again.length != framing.length) std::abort();
  } catch (const http::BadMessage&) {
  }
  try {
    http::ResponseHead response = http::parse_response_head(text);
    (void)http::response_framing(response, "GET");
    (void)http::keeps_alive(response);
  } catch (const http::BadMessage&) {
  }
  return 0;
}
