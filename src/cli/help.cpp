// dockgate's --help: CLI11's layout, without its notation.
#include "cli/help.hpp"

namespace dockgate::cli {

std::string HelpFormatter::make_option_name(const CLI::Option* option, bool is_positional) const {
  std::string names = CLI::Formatter::make_option_name(option, is_positional);
  for (std::size_t open = names.find('{'); open != std::string::npos; open = names.find('{', open)) {
    std::size_t close = names.find('}', open);
    if (close == std::string::npos) break;
    names.erase(open, close - open + 1);
  }
  return names;
}

std::string HelpFormatter::make_option_opts(const CLI::Option* option) const {
  // A positional's name is its placeholder already (KIND, NAME), and the usage line shows which are needed.
  if (option->get_type_size() == 0 || !option->nonpositional()) return "";
  std::string name = option->get_type_name();
  name = name.substr(0, name.find(':'));  // "INT:INT in [1 - 36500]": the validator's text goes
  return name.empty() ? "" : " " + name;
}

std::string HelpFormatter::make_option_desc(const CLI::Option* option) const {
  std::string text = option->get_description();
  bool vector = option->get_items_expected_max() >= CLI::detail::expected_max_vector_size;
  if (vector && option->nonpositional() && text.find("repeatable") == std::string::npos) {
    text += " (repeatable)";
  }
  const std::string& value = option->get_default_str();
  if (!value.empty() && option->get_type_size() != 0 && text.find("default") == std::string::npos) {
    text += " (default: " + value + ")";
  }
  return text;
}

void use_help_formatter(CLI::App& app) {
  app.formatter(std::make_shared<HelpFormatter>());
}

}  // namespace dockgate::cli
