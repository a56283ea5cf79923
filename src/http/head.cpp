// Strict HTTP/1.1 head parsing and body framing; see head.hpp for what is rejected and why.
#include "http/head.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

#include "ascii.hpp"

namespace dockgate::http {
namespace {

// RFC 9110 §5.6.2 tchar, as a table: every field name of every request and response is checked.
constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool is_token(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return kTokenChars[static_cast<unsigned char>(c)]; });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A head's lines, one at a time, up to the blank line. Lines end in CRLF or a bare LF (as Go and haproxy
// accept); a CR anywhere else is refused, since some parsers take it for a line end and others do not.
class Lines {
 public:
  explicit Lines(std::string_view head) : rest_(head) {}

  // The next line without its ending; nullopt at the blank line (or the end of the text).
  std::optional<std::string_view> next() {
    std::size_t lf = rest_.find('\n');
    if (lf == std::string_view::npos) return std::nullopt;
    std::string_view line = rest_.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) throw BadMessage(400, "a bare CR in the message head");
    rest_.remove_prefix(lf + 1);
    if (line.empty()) return std::nullopt;
    return line;
  }
  // What next() has not returned yet.
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

int parse_version(std::string_view v) {
  if (v == "HTTP/1.1") return 1;
  if (v == "HTTP/1.0") return 0;
  if (v.substr(0, 5) == "HTTP/") throw BadMessage(505, "unsupported HTTP version " + std::string(v));
  throw BadMessage(400, "malformed HTTP version");
}

// The field lines that follow a head's first line. `h` keeps a copy of them for its views.
void parse_fields(std::string_view fields, Headers& h) {
  if (fields.empty()) return;
  h.text = std::make_unique_for_overwrite<char[]>(fields.size());
  std::memcpy(h.text.get(), fields.data(), fields.size());
  Lines lines({h.text.get(), fields.size()});
  h.list.reserve(16);  // docker's heads have about ten fields; counting the lines first costs more
  while (auto next = lines.next()) {
    std::string_view line = *next;
    if (line.front() == ' ' || line.front() == '\t') {
      throw BadMessage(400, "obsolete line folding in the message head");
    }
    // The name: token characters right up to the colon (RFC 9112 §5.1 allows no space before it).
    std::size_t colon = 0;
    while (colon < line.size() && kTokenChars[static_cast<unsigned char>(line[colon])]) ++colon;
    if (colon == line.size() || line[colon] != ':') {
      if (line.find(':') == std::string_view::npos) throw BadMessage(400, "a header line without a colon");
      throw BadMessage(400, "an invalid header name");
    }
    if (colon == 0) throw BadMessage(400, "an invalid header name");
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (value.find('\0') != std::string_view::npos) {
      throw BadMessage(400, "a NUL byte in header " + std::string(name));
    }
    h.list.push_back({name, value});
  }
}

// Content-Length: digits only; repeated headers (or comma lists) must all agree (RFC 9110 §8.6).
std::optional<std::uint64_t> content_length(const Headers& headers) {
  std::optional<std::uint64_t> length;
  for (const auto& [name, value] : headers.list) {
    if (!iequals_ascii(name, "Content-Length")) continue;
    std::string_view rest = value;
    while (true) {
      size_t comma = rest.find(',');
      std::string_view item = trim(rest.substr(0, comma));
      std::uint64_t n = 0;
      auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
      if (item.empty() || ec != std::errc() || end != item.data() + item.size() ||
          n > static_cast<std::uint64_t>(INT64_MAX)) {
        throw BadMessage(400, "invalid Content-Length");
      }
      if (length && *length != n) throw BadMessage(400, "conflicting Content-Length headers");
      length = n;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return length;
}

// Whether the message is chunked. Only exactly "chunked" is understood; an unknown coding cannot be framed.
bool is_chunked(const Headers& headers) {
  const Header* te = nullptr;
  for (const auto& h : headers.list) {
    if (!iequals_ascii(h.name, "Transfer-Encoding")) continue;
    if (te != nullptr) throw BadMessage(400, "more than one Transfer-Encoding header");
    te = &h;
  }
  if (te == nullptr) return false;
  if (!iequals_ascii(te->value, "chunked")) {
    throw BadMessage(501, "unsupported transfer encoding: \"" + std::string(te->value) + "\"");
  }
  return true;
}

}  // namespace

const std::string_view* Headers::find(std::string_view name) const {
  for (const auto& h : list) {
    if (iequals_ascii(h.name, name)) return &h.value;
  }
  return nullptr;
}

void Headers::append(std::string_view name, std::string_view value) {
  std::string& kept = added.emplace_front(name);
  kept += value;
  list.push_back({std::string_view(kept).substr(0, name.size()), std::string_view(kept).substr(name.size())});
}

bool Headers::has_token(std::string_view name, std::string_view token) const {
  for (const auto& h : list) {
    if (!iequals_ascii(h.name, name)) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      if (iequals_ascii(trim(rest.substr(0, comma)), token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

std::optional<std::size_t> head_size(std::string_view data, std::size_t limit) {
  // Blank lines before a request line are tolerated by RFC 9112 §2.2; we do not: no docker client sends them.
  std::string_view window = data.substr(0, limit);
  for (size_t pos = window.find('\n'); pos != std::string_view::npos; pos = window.find('\n', pos + 1)) {
    if (pos + 1 < window.size() && window[pos + 1] == '\n') return pos + 2;
    if (pos + 2 < window.size() && window[pos + 1] == '\r' && window[pos + 2] == '\n') return pos + 3;
  }
  if (data.size() >= limit) {
    throw BadMessage(431, "the message head is larger than " + std::to_string(limit / 1024) + " KiB");
  }
  return std::nullopt;
}

RequestHead parse_request_head(std::string_view head) {
  Lines lines(head);
  auto first = lines.next();
  if (!first) throw BadMessage(400, "an empty request line");
  std::string_view line = *first;
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    throw BadMessage(400, "malformed request line");
  }
  RequestHead r;
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (!is_token(method)) throw BadMessage(400, "invalid method");
  // Origin form only: the engine is not a forward proxy, and absolute or authority forms would let a
  // client name a target we never checked.
  if (target.empty() || target.front() != '/' || std::any_of(target.begin(), target.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
      })) {
    throw BadMessage(400, "invalid request target");
  }
  r.method = method;
  r.target = target;
  r.minor_version = parse_version(line.substr(sp2 + 1));
  parse_fields(lines.rest(), r.headers);
  // Go's net/http rules, so that the engine never sees a Host we did not: exactly one for HTTP/1.1.
  auto hosts = std::count_if(r.headers.list.begin(), r.headers.list.end(),
                             [](const Header& h) { return iequals_ascii(h.name, "Host"); });
  if (r.minor_version == 1 && hosts == 0) throw BadMessage(400, "missing required Host header");
  if (hosts > 1) throw BadMessage(400, "too many Host headers");
  return r;
}

ResponseHead parse_response_head(std::string_view head) {
  Lines lines(head);
  auto first = lines.next();
  if (!first) throw BadMessage(502, "an empty status line");
  std::string_view line = *first;
  ResponseHead r;
  size_t sp1 = line.find(' ');
  r.minor_version = parse_version(line.substr(0, sp1));
  if (sp1 == std::string_view::npos || line.size() < sp1 + 4) throw BadMessage(502, "malformed status line");
  std::string_view code = line.substr(sp1 + 1, 3);
  auto [end, ec] = std::from_chars(code.data(), code.data() + 3, r.status);
  if (ec != std::errc() || end != code.data() + 3 || r.status < 100) {
    throw BadMessage(502, "malformed status code");
  }
  if (line.size() > sp1 + 4) r.reason = trim(line.substr(sp1 + 4));
  parse_fields(lines.rest(), r.headers);
  return r;
}

Framing request_framing(const RequestHead& request) {
  bool chunked = is_chunked(request.headers);
  auto length = content_length(request.headers);
  if (chunked && length) {
    // The classic request-smuggling setup (RFC 9112 §6.3 lets a server reject it; we do).
    throw BadMessage(400, "both Transfer-Encoding and Content-Length");
  }
  if (chunked && request.minor_version == 0)
    throw BadMessage(400, "Transfer-Encoding in an HTTP/1.0 request");
  if (chunked) return {Framing::Kind::chunked, 0};
  if (length && *length > 0) return {Framing::Kind::length, *length};
  return {};
}

Framing response_framing(const ResponseHead& response, std::string_view request_method) {
  if (response.status == 101) return {Framing::Kind::until_close, 0};
  if (request_method == "HEAD" || response.status < 200 || response.status == 204 || response.status == 304) {
    return {};
  }
  if (is_chunked(response.headers)) return {Framing::Kind::chunked, 0};
  if (auto length = content_length(response.headers)) {
    return *length > 0 ? Framing{Framing::Kind::length, *length} : Framing{};
  }
  return {Framing::Kind::until_close, 0};
}

bool wants_upgrade(const RequestHead& request) {
  return request.headers.has_token("Connection", "upgrade") && request.headers.find("Upgrade") != nullptr;
}

bool keeps_alive(const RequestHead& request) {
  if (request.headers.has_token("Connection", "close")) return false;
  return request.minor_version == 1 || request.headers.has_token("Connection", "keep-alive");
}

bool keeps_alive(const ResponseHead& response) {
  if (response.headers.has_token("Connection", "close")) return false;
  return response.minor_version == 1 || response.headers.has_token("Connection", "keep-alive");
}

std::string serialize(const RequestHead& request) {
  std::string out;
  size_t size = request.method.size() + request.target.size() + 16;
  for (const auto& h : request.headers.list) size += h.name.size() + h.value.size() + 4;
  out.reserve(size);
  out += request.method;
  out += ' ';
  out += request.target;
  out += request.minor_version == 1 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n";
  for (const auto& h : request.headers.list) {
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

void set_content_length(RequestHead& request, std::uint64_t length) {
  auto& list = request.headers.list;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [](const Header& h) {
                              return iequals_ascii(h.name, "Content-Length") ||
                                     iequals_ascii(h.name, "Transfer-Encoding");
                            }),
             list.end());
  request.headers.append("Content-Length", std::to_string(length));
}

std::string json_error_response(int status, std::string_view message, bool close, bool head_only) {
  const char* reason = "Error";
  switch (status) {
    case 400:
      reason = "Bad Request";
      break;
    case 403:
      reason = "Forbidden";
      break;
    case 408:
      reason = "Request Timeout";
      break;
    case 431:
      reason = "Request Header Fields Too Large";
      break;
    case 501:
      reason = "Not Implemented";
      break;
    case 502:
      reason = "Bad Gateway";
      break;
    case 503:
      reason = "Service Unavailable";
      break;
    case 505:
      reason = "HTTP Version Not Supported";
      break;
    default:
      break;
  }
  std::string body = nlohmann::json{{"message", message}}.dump() + "\n";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  out += "Content-Type: application/json\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head_only) out += body;
  return out;
}

}  // namespace dockgate::http
