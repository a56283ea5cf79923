// One function per subcommand family: each adds its subcommands, flags and actions to the root command.
#pragma once

namespace CLI {
class App;
}

namespace dockgate::cli {

void add_certs(CLI::App& app);
void add_serve(CLI::App& app);
void add_doctor(CLI::App& app);
void add_client(CLI::App& app);
void add_policy(CLI::App& app);
void add_setup(CLI::App& app);

}  // namespace dockgate::cli
