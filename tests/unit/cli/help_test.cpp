#include "cli/help.hpp"

#include <gtest/gtest.h>

namespace dockgate::cli {
namespace {

// An app with one option of each shape the commands use, and its --help text.
struct Sample {
  CLI::App app{"sample", "sample"};
  std::vector<std::string> hosts;
  std::string level = "info", file;
  int days = 365;
  bool tls = true;
  std::string name;

  Sample() {
    use_help_formatter(app);
    app.add_option("-H,--host", hosts, "Address to listen on")->type_name("ADDRESS");
    app.add_option("--log-level", level, "debug or info")->capture_default_str()->type_name("LEVEL");
    app.add_option("--policy", file, "Policy file (default: none)")->type_name("FILE");
    app.add_option("--days", days, "validity in days, 1 to 36500")
        ->check(CLI::Range(1, 36500))
        ->capture_default_str()
        ->type_name("DAYS");
    app.add_flag("--tls,!--no-tls", tls, "Use TLS");
    app.add_option("NAME", name, "the client's name")->required();
  }
  std::string help() { return app.help(); }
};

TEST(HelpFormatter, NamesValuesWithoutTheParsersNotation) {
  std::string help = Sample().help();
  EXPECT_NE(help.find("-H,--host ADDRESS"), std::string::npos) << help;
  EXPECT_NE(help.find("--days DAYS "), std::string::npos) << help;
  EXPECT_NE(help.find("--tls,--no-tls "), std::string::npos) << help;
  for (const char* notation : {"TEXT", "INT", "...", "{false}", "in [1 - 36500]", "=info", "REQUIRED"}) {
    EXPECT_EQ(help.find(notation), std::string::npos) << notation << " in\n" << help;
  }
}

TEST(HelpFormatter, DefaultsAndRepeatabilityAreWords) {
  std::string help = Sample().help();
  EXPECT_NE(help.find("debug or info (default: info)"), std::string::npos) << help;
  EXPECT_NE(help.find("validity in days, 1 to 36500 (default: 365)"), std::string::npos) << help;
  EXPECT_NE(help.find("Address to listen on (repeatable)"), std::string::npos) << help;
  // A description that gives its default already is left as it is.
  EXPECT_NE(help.find("Policy file (default: none)\n"), std::string::npos) << help;
}

TEST(HelpFormatter, SubcommandsAddedLaterShareIt) {
  Sample s;
  CLI::App* sub = s.app.add_subcommand("sub", "a subcommand");
  int port = 2376;
  sub->add_option("--port", port, "the TCP port")->capture_default_str()->type_name("PORT");
  std::string help = sub->help();
  EXPECT_NE(help.find("--port PORT"), std::string::npos) << help;
  EXPECT_NE(help.find("the TCP port (default: 2376)"), std::string::npos) << help;
}

}  // namespace
}  // namespace dockgate::cli
