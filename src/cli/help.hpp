// How every command's --help reads: an option's value by what it is (FILE, DIR, ADDRESS, DAYS), its default
// in words at the end of its description, and none of the parser's own notation (`TEXT ...`, `=info`,
// `INT:INT in [1 - 36500]`), which users would otherwise read as syntax to type.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace dockgate::cli {

class HelpFormatter : public CLI::Formatter {
 public:
  // The option's names as typed: "--tls,--no-tls", without the parser's "{false}".
  std::string make_option_name(const CLI::Option* option, bool is_positional) const override;
  // " NAME" for an option that takes a value (the part of its type name before any validator's text),
  // nothing for a flag.
  std::string make_option_opts(const CLI::Option* option) const override;
  // The description, then "(default: X)" when the option captured a default the description does not
  // already give; "(repeatable)" for an option given once per value, unless the description says so.
  std::string make_option_desc(const CLI::Option* option) const override;
};

// Gives `app` and every subcommand (those added later included) the formatter above.
void use_help_formatter(CLI::App& app);

}  // namespace dockgate::cli
