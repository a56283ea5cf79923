// argv → subcommand. Every failure a person can fix reaches here as dockgate::Error and is printed as one
// line on stderr with exit status 1; command-line mistakes exit with status 2.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "error.hpp"

namespace {

int run(int argc, char** argv) {
  CLI::App app("dockgate: secure remote access to the Docker engine", "dockgate");
  app.set_version_flag("--version", "dockgate " DOCKGATE_VERSION);
  app.require_subcommand(1);
  dockgate::cli::add_certs(app);
  dockgate::cli::add_serve(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const dockgate::Error& e) {
    std::cerr << "dockgate: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    // Not a failure we foresaw: still one line, but say it is ours.
    std::cerr << "dockgate: internal error: " << e.what() << "\n";
    return 70;
  } catch (...) {
    std::cerr << "dockgate: internal error\n";
    return 70;
  }
}
