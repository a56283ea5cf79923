// argv → subcommand. Every failure a person can fix reaches here as dockgate::Error and is printed as one
// line on stderr with exit status 1; command-line mistakes exit with status 2.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "error.hpp"

int main(int argc, char** argv) {
  CLI::App app("dockgate: secure remote access to the Docker engine", "dockgate");
  app.set_version_flag("--version", "dockgate " DOCKGATE_VERSION);
  app.require_subcommand(1);
  dockgate::cli::add_certs(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const dockgate::Error& e) {
    std::cerr << "dockgate: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
