// JSON syntax errors with line and column.
#include "config/json_file.hpp"

#include "error.hpp"

namespace dockgate::config {

namespace {

template <class Json>
Json parse_as(const std::string& text, const std::string& where) {
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // Count lines and columns up to the byte where parsing stopped (1-based, like an editor).
    size_t line = 1, column = 1;
    for (size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string why = e.what();
    if (size_t s = why.find("syntax error"); s != std::string::npos) why = why.substr(s);
    throw Error(where + "invalid JSON at line " + std::to_string(line) + ", column " +
                std::to_string(column) + ": " + why);
  } catch (const nlohmann::json::exception& e) {
    // A number too large for any type (out_of_range 406), found by tests/fuzz: nlohmann gives no offset.
    std::string why = e.what();
    if (size_t s = why.find("] "); s != std::string::npos) why = why.substr(s + 2);
    throw Error(where + "invalid JSON: " + why);
  }
}

}  // namespace

nlohmann::json parse_json_text(const std::string& text, const std::string& where) {
  return parse_as<nlohmann::json>(text, where);
}

nlohmann::ordered_json parse_ordered_json_text(const std::string& text, const std::string& where) {
  return parse_as<nlohmann::ordered_json>(text, where);
}

}  // namespace dockgate::config
