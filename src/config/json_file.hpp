// Reading a JSON file that a person wrote (the serve config, a policy): syntax errors point at the line
// and column, as an editor would show them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace dockgate::config {

// Parses `text`; throws Error "`where`invalid JSON at line L, column C: ..." on a syntax error.
nlohmann::json parse_json_text(const std::string& text, const std::string& where);

// The same, keeping the keys in the order the file has them: for files dockgate edits and writes back
// (dockerd's daemon.json), so that a person's layout survives.
nlohmann::ordered_json parse_ordered_json_text(const std::string& text, const std::string& where);

}  // namespace dockgate::config
