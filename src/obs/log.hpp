// The gateway's log: one line per event with named fields, as text on a terminal and as JSON lines
// otherwise (journald, files, log shippers). Backed by spdlog; no heavy headers here.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace dockgate::obs {

enum class Level { debug, info, warn, error };

// One field of a log line: text, or a number, which JSON lines write as a number.
struct Field {
  Field(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  template <class N>
  requires std::is_arithmetic_v<N> &&(!std::is_same_v<N, bool>)Field(std::string_view k, N n)
      : key(k), value(std::to_string(n)), kind(std::is_integral_v<N> ? Kind::integer : Kind::real) {
    if constexpr (std::is_integral_v<N>) {
      integer = static_cast<std::int64_t>(n);
    } else {
      real = static_cast<double>(n);
    }
  }
  enum class Kind { text, integer, real };
  std::string_view key;
  std::string value;  // as text lines write it
  Kind kind = Kind::text;
  std::int64_t integer = 0;  // as JSON lines write it, for Kind::integer
  double real = 0;           // for Kind::real
};

// Parses --log-level; throws Error naming the flag.
Level parse_level(const std::string& text);

// `format` is "text", "json" or "" (text when stderr is a terminal, JSON otherwise).
void init_logging(Level level, const std::string& format);

// Now, as RFC 3339 UTC with milliseconds: 2026-11-24T06:44:20.262Z.
std::string timestamp();

void log(Level level, std::string_view message, std::initializer_list<Field> fields = {});
bool enabled(Level level);

}  // namespace dockgate::obs
