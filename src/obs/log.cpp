// Log lines through spdlog's stderr sink. JSON lines are composed here (spdlog's pattern cannot escape
// field values), so the sink only adds nothing but the line end.
#include "obs/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "error.hpp"

namespace dockgate::obs {
namespace {

struct State {
  std::shared_ptr<spdlog::logger> logger;
  Level level = Level::info;
  bool json = false;
};

State& state() {
  static State s;
  return s;
}

const char* level_name(Level l) {
  switch (l) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

}  // namespace

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  // gmtime_r and strftime cost more than the rest of an audit event put together, and the second they
  // format changes far less often than requests arrive.
  thread_local std::time_t formatted = -1;
  thread_local char text[32];  // "YYYY-MM-DDTHH:MM:SS" then ".mmmZ"
  thread_local std::size_t length = 0;
  if (secs != formatted) {
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    length = std::strftime(text, sizeof text - 5, "%Y-%m-%dT%H:%M:%S", &tm);
    formatted = secs;
  }
  int frac = static_cast<int>(ms % 1000);
  text[length] = '.';
  text[length + 1] = static_cast<char>('0' + frac / 100);
  text[length + 2] = static_cast<char>('0' + frac / 10 % 10);
  text[length + 3] = static_cast<char>('0' + frac % 10);
  text[length + 4] = 'Z';
  return std::string(text, length + 5);
}

namespace {

bool needs_quotes(std::string_view v) {
  return v.empty() || v.find_first_of(" \"=\t\n") != std::string_view::npos;
}

}  // namespace

Level parse_level(const std::string& text) {
  if (text == "debug") return Level::debug;
  if (text == "info") return Level::info;
  if (text == "warn" || text == "warning") return Level::warn;
  if (text == "error") return Level::error;
  throw UsageError("--log-level " + text + ": use debug, info, warn or error");
}

void init_logging(Level level, const std::string& format) {
  if (!format.empty() && format != "text" && format != "json") {
    throw UsageError("--log-format " + format + ": use text or json");
  }
  State& s = state();
  s.level = level;
  s.json = format == "json" || (format.empty() && ::isatty(STDERR_FILENO) == 0);
  s.logger = std::make_shared<spdlog::logger>("dockgate", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  s.logger->set_pattern("%v");
  s.logger->set_level(spdlog::level::trace);
  s.logger->flush_on(spdlog::level::trace);
}

bool enabled(Level level) {
  return level >= state().level;
}

void log(Level level, std::string_view message, std::initializer_list<Field> fields) {
  State& s = state();
  if (!enabled(level)) return;
  if (!s.logger) init_logging(s.level, "");
  std::string line;
  if (s.json) {
    nlohmann::json j = {{"time", timestamp()}, {"level", level_name(level)}, {"msg", message}};
    for (const auto& f : fields) {
      switch (f.kind) {
        case Field::Kind::integer:
          j[std::string(f.key)] = f.integer;
          break;
        case Field::Kind::real:
          j[std::string(f.key)] = f.real;
          break;
        case Field::Kind::text:
          j[std::string(f.key)] = f.value;
          break;
      }
    }
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = timestamp() + " " + level_name(level) + " " + std::string(message);
    for (const auto& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      line += needs_quotes(f.value)
                  ? nlohmann::json(f.value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  : f.value;
    }
  }
  s.logger->info(line);
}

}  // namespace dockgate::obs
