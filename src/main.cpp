// argv → subcommand. Every failure a person can fix reaches here as dockgate::Error and is printed as one
// line on stderr with exit status 1; command-line mistakes (the parser's own, and dockgate::UsageError)
// exit with status 2.
#include <openssl/crypto.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/help.hpp"
#include "error.hpp"

namespace {

// dockerd's flag parser (spf13/pflag) reads "-H=tcp://..." as -H with a value; CLI11 would keep the "=".
// Split such short options so that command lines copied from dockerd units and tutorials work unchanged.
std::vector<std::string> split_short_equals(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 3 && a[0] == '-' && std::isalpha(static_cast<unsigned char>(a[1])) && a[2] == '=') {
      args.push_back(a.substr(0, 2));
      args.push_back(a.substr(3));
    } else {
      args.push_back(std::move(a));
    }
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes its argument vector in reverse
  return args;
}

// A repeatable option takes one value per occurrence, as dockerd's and the docker CLI's do. CLI11 lets a
// vector option take every word up to the next option: `certs issue server --force --host web3.example.com
// web3` took `web3` for a second host name and replaced the live default server certificate instead of
// creating servers/web3/.
void one_value_per_occurrence(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    if (option->nonpositional() &&
        option->get_items_expected_max() >= CLI::detail::expected_max_vector_size) {
      option->allow_extra_args(false);
    }
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) one_value_per_occurrence(*sub);
}

// What `dockgate version` and `--version` print: this build, the OpenSSL it runs on and the record cipher
// `serve` prefers (its own order, AES-128-GCM first), with whether this processor has AES instructions.
std::string version_text() {
  bool aes = __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul");
  return std::string("dockgate " DOCKGATE_VERSION "\n") + OpenSSL_version(OPENSSL_VERSION) +
         "\nrecord cipher: AES-128-GCM from OpenSSL" +
         (aes ? " (with this processor's AES instructions)"
              : " (this processor has no AES instructions: slow)");
}

// The command a parse reached: the deepest subcommand the command line named.
std::string command_reached(const CLI::App& app) {
  std::string path = "dockgate";
  const CLI::App* level = &app;
  while (true) {
    auto parsed = level->get_subcommands();
    if (parsed.empty()) return path;
    level = parsed.front();
    path += " " + level->get_name();
  }
}

// A parser error as one line, as every other error is, naming the command and where its options are listed.
// CLI11 lists unexpected arguments last first (it keeps its argument vector reversed): they are put back in
// the order they were typed.
std::string parse_error_text(const CLI::App& app, const CLI::ParseError& e) {
  std::string text = e.what();
  const std::string command = command_reached(app);
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    std::size_t colon = text.find(": ");
    std::vector<std::string> words;
    for (std::size_t at = colon == std::string::npos ? 0 : colon + 2; at < text.size();) {
      std::size_t space = text.find(' ', at);
      if (space == std::string::npos) space = text.size();
      if (space > at) words.push_back(text.substr(at, space - at));
      at = space + 1;
    }
    std::string list;
    for (auto it = words.rbegin(); it != words.rend(); ++it) list += (list.empty() ? "" : " ") + *it;
    text = "unexpected " + list;
  }
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return "`" + command + "`: " + text + " (`" + command + " --help` lists what it takes)";
}

// The names of `app`'s subcommands, for a message: "certs, serve, client".
std::string command_names(CLI::App& app) {
  std::string names;
  for (CLI::App* c : app.get_subcommands([](CLI::App*) { return true; })) {
    names += (names.empty() ? "" : ", ") + c->get_name();
  }
  return names;
}

int run(int argc, char** argv) {
  CLI::App app("dockgate: secure remote access to the Docker engine", "dockgate");
  dockgate::cli::use_help_formatter(app);  // before the subcommands, which take their parent's formatter
  app.set_version_flag("--version", version_text);
  app.require_subcommand(1);
  app.add_subcommand("version", "Print the version, the OpenSSL version and the TLS record cipher")
      ->callback([] { std::cout << version_text() << "\n"; });
  dockgate::cli::add_certs(app);
  dockgate::cli::add_serve(app);
  dockgate::cli::add_client(app);
  dockgate::cli::add_doctor(app);
  dockgate::cli::add_policy(app);
  dockgate::cli::add_setup(app);
  one_value_per_occurrence(app);
  // A mistyped command, at any level: name it and list the commands there (CLI11 would say only "A
  // subcommand is required" or "The following arguments were not expected").
  std::vector<std::string> args = split_short_equals(argc, argv);
  // `dockgate help [COMMAND...]` is `dockgate [COMMAND...] --help`.
  if (!args.empty() && args.back() == "help") {
    args.pop_back();
    args.insert(args.begin(), "--help");
  }
  CLI::App* level = &app;
  std::string path;
  std::string next;  // the first word after the commands, if any
  for (auto word = args.rbegin(); word != args.rend(); ++word) {
    auto commands = level->get_subcommands([](CLI::App*) { return true; });
    if (commands.empty() || word->starts_with("-")) {
      next = *word;
      break;
    }
    auto found =
        std::find_if(commands.begin(), commands.end(), [&](CLI::App* c) { return c->check_name(*word); });
    path += (path.empty() ? "" : " ") + *word;
    if (found == commands.end()) {
      std::cerr << "dockgate: unknown command \"" << path << "\" (commands: " << command_names(*level)
                << ")\n";
      return 2;
    }
    level = *found;
  }
  // A command that needs one of its own and was given none first (`dockgate certs issue`, `dockgate certs
  // issue --dir X client bob`).
  bool asks = next == "-h" || next == "--help" || next == "--version";
  if (level->get_require_subcommand_min() > 0 && !asks) {
    std::cerr << "dockgate: "
              << (path.empty() ? "a command is needed" : "`dockgate " + path + "` needs a command")
              << " first: " << command_names(*level) << " (--help describes them)\n";
    return 2;
  }
  try {
    app.parse(std::move(args));
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::cerr << "dockgate: " << parse_error_text(app, e) << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const dockgate::ExitStatus& e) {
    return e.code;
  } catch (const dockgate::UsageError& e) {
    std::cerr << "dockgate: " << e.what() << "\n";
    return 2;
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
