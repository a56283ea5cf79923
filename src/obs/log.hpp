// The gateway's log: one line per event with named fields, as text on a terminal and as JSON lines
// otherwise (journald, files, log shippers). Backed by spdlog; no heavy headers here.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace dockgate::obs {

enum class Level { debug, info, warn, error };

struct Field {
  std::string_view key;
  std::string value;
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
