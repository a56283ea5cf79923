// Request and response heads: strict HTTP/1.1 parsing, the framing of the body that follows, and the bytes
// sent on. Pure functions with no I/O, so they unit-test and fuzz alone. What is rejected follows what a
// proxy must not guess at (RFC 9112 §6.3, §11.2; haproxy and nginx behave alike): a body framed two ways,
// obsolete line folding, stray CR, malformed lengths. Anything rejected here is never forwarded.
#pragma once

#include <cstdint>
#include <forward_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dockgate::http {

// A message we refuse; `status` is the answer the client gets (400, 431, 501, 505).
class BadMessage : public std::runtime_error {
 public:
  BadMessage(int code, const std::string& why) : std::runtime_error(why), status(code) {}
  int status;
};

// A field as parsed: views into the text its Headers keeps (value trimmed of surrounding whitespace).
struct Header {
  std::string_view name, value;
};

// A head's fields in their order. It owns the text its views point into, so it can outlive the buffer it
// was parsed from and be moved freely (the text never moves); one allocation per head, not two per field.
struct Headers {
  std::vector<Header> list;
  std::unique_ptr<char[]> text;          // the parsed field lines
  std::forward_list<std::string> added;  // the text of fields added after parsing

  // The first value of a header, compared case-insensitively; nullptr when absent.
  const std::string_view* find(std::string_view name) const;
  // Whether a comma-separated header (Connection, Upgrade) holds `token`, case-insensitively.
  bool has_token(std::string_view name, std::string_view token) const;
  // Appends a field, keeping a copy of its text.
  void append(std::string_view name, std::string_view value);
};

struct RequestHead {
  std::string method, target;
  int minor_version = 1;  // HTTP/1.minor
  Headers headers;
};

struct ResponseHead {
  int minor_version = 1;
  int status = 0;
  std::string reason;
  Headers headers;
};

// How the body after a head ends.
struct Framing {
  enum class Kind { none, length, chunked, until_close };
  Kind kind = Kind::none;
  std::uint64_t length = 0;  // Kind::length
};

// The size of the head at the start of `data`, blank line included; nullopt while it is incomplete.
// Throws BadMessage(431) once `data` holds `limit` bytes without the end of a head.
std::optional<std::size_t> head_size(std::string_view data, std::size_t limit);

// Parse one complete head (as measured by head_size). Throw BadMessage saying what is wrong.
RequestHead parse_request_head(std::string_view head);
ResponseHead parse_response_head(std::string_view head);

// The body framing of a request: Content-Length, chunked, or none. Throws BadMessage for both at once,
// conflicting lengths, or a transfer coding other than chunked (501, as Go's server answers).
Framing request_framing(const RequestHead& request);
// The body framing of a response to `request_method` (RFC 9112 §6.3): none for HEAD, 1xx, 204 and 304;
// until_close when the engine gives no length (a hijacked raw stream) or switches protocols (101).
Framing response_framing(const ResponseHead& response, std::string_view request_method);

// Whether the client asks to switch protocols (Connection: Upgrade), as attach, exec and BuildKit do.
bool wants_upgrade(const RequestHead& request);
// Whether the connection may carry another message after this one.
bool keeps_alive(const RequestHead& request);
bool keeps_alive(const ResponseHead& response);

// The head as sent on: one canonical spelling, whatever the client's whitespace and line endings were,
// so the engine reads exactly what was checked.
std::string serialize(const RequestHead& request);

// Frames a request body that was read whole by its length: drops Transfer-Encoding and Content-Length and
// sets Content-Length to `length`, so the engine gets exactly the bytes that were judged.
void set_content_length(RequestHead& request, std::uint64_t length);

// A complete response with a JSON body {"message": ...}, the shape docker clients print as
// "Error response from daemon: ...". With `close`, it says Connection: close. With `head_only` (the answer to
// a HEAD), it gives the body's length but not the body: a kept-alive client would read it as its next answer.
std::string json_error_response(int status, std::string_view message, bool close, bool head_only = false);

}  // namespace dockgate::http
