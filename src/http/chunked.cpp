// A byte-at-a-time state machine for chunk framing, except for chunk data, which it skips in one step.
#include "http/chunked.hpp"

#include <algorithm>

#include "http/head.hpp"

namespace dockgate::http {
namespace {

constexpr std::size_t kMaxLine = 4096;  // chunk-size line with extensions, or one trailer field

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

[[noreturn]] void bad(const char* why) {
  throw BadMessage(400, why);
}

}  // namespace

std::size_t ChunkedScanner::scan(std::string_view data) {
  std::size_t i = 0;
  while (i < data.size() && state_ != State::done) {
    char c = data[i];
    switch (state_) {
      case State::size:
        if (int v = hex_value(c); v >= 0) {
          if (++digits_ > 15) bad("chunk size too large");  // 15 hex digits stay below 2^60
          remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(v);
        } else if (digits_ > 0 && (c == ';' || c == ' ' || c == '\t')) {
          state_ = State::extension;
        } else if (digits_ > 0 && c == '\r') {
          state_ = State::size_lf;
        } else {
          bad("invalid chunk size");
        }
        ++i;
        break;
      case State::extension:
        // Extensions are passed on untouched, but a line end must be a real CRLF and the line bounded.
        if (c == '\r') {
          state_ = State::size_lf;
        } else if (c == '\n' || c == '\0') {
          bad("invalid chunk extension");
        }
        ++i;
        break;
      case State::size_lf:
        if (c != '\n') bad("chunk size line not ended by CRLF");
        ++i;
        digits_ = 0;
        line_ = 0;
        state_ = remaining_ == 0 ? State::trailer_start : State::data;
        continue;
      case State::data: {
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - i));
        i += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::data_cr;
        continue;
      }
      case State::data_cr:
        if (c != '\r') bad("chunk data not followed by CRLF");
        ++i;
        state_ = State::data_lf;
        continue;
      case State::data_lf:
        if (c != '\n') bad("chunk data not followed by CRLF");
        ++i;
        state_ = State::size;
        continue;
      case State::trailer_start:
        if (c == '\r') {
          state_ = State::trailer_lf;
          line_ = 0;
        } else {
          state_ = State::trailer;
        }
        ++i;
        break;
      case State::trailer:
        if (c == '\r') {
          state_ = State::size_lf;  // reuse: a CRLF after a trailer field starts the next one
          remaining_ = 0;
        } else if (c == '\n' || c == '\0') {
          bad("invalid trailer field");
        }
        ++i;
        break;
      case State::trailer_lf:
        if (c != '\n') bad("chunked body not ended by CRLF");
        ++i;
        state_ = State::done;
        continue;
      case State::done:
        break;
    }
    if (++line_ > kMaxLine) bad("chunk size line or trailer field too long");
  }
  return i;
}

std::string decode_chunked(std::string_view raw) {
  std::string out;
  while (!raw.empty()) {
    std::uint64_t size = 0;
    size_t i = 0;
    for (; i < raw.size() && hex_value(raw[i]) >= 0; ++i)
      size = size * 16 + static_cast<std::uint64_t>(hex_value(raw[i]));
    size_t lf = raw.find('\n', i);
    if (size == 0 || lf == std::string_view::npos) break;
    out.append(raw.substr(lf + 1, static_cast<size_t>(size)));
    raw.remove_prefix(std::min(raw.size(), lf + 1 + static_cast<size_t>(size) + 2));
  }
  return out;
}

}  // namespace dockgate::http
