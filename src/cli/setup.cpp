// `dockgate setup`: the gateway as a service, dockerd's own remote access, firewall rules, and a lint of
// the host. Every command can work on a staged --root and show a --dry-run diff instead of writing.
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "error.hpp"
#include "files/state_dir.hpp"
#include "setup/dockerd.hpp"
#include "setup/firewall.hpp"
#include "setup/gateway_units.hpp"
#include "setup/lint.hpp"

namespace dockgate::cli {
namespace {

struct Common {
  std::string root = "/";
  bool dry_run = false;
};

void add_common(CLI::App* cmd, Common& c) {
  cmd->add_option("--root", c.root, "operate on a staged file system under DIR instead of this machine's")
      ->capture_default_str()
      ->type_name("DIR");
  cmd->add_flag("--dry-run", c.dry_run, "print a unified diff of what would change; change nothing");
}

setup::Host host_of(const Common& c) {
  std::error_code ec;
  if (!std::filesystem::is_directory(c.root, ec)) throw Error("--root " + c.root + ": no such directory");
  return setup::Host(c.root);
}

// Prints the plan (dry run) or lands it, then what to know and what to run next.
void finish(const setup::Host& host, const setup::SetupResult& r, bool dry_run) {
  if (r.plan.empty()) {
    std::cout << "Nothing to change: this host is already set up that way.\n";
  } else if (dry_run) {
    std::cout << r.plan.diff();
  } else {
    for (const auto& line : r.plan.apply(host, std::time(nullptr))) std::cout << line << "\n";
  }
  for (const auto& n : r.notes) std::cout << "note: " << n << "\n";
  if (!r.plan.empty()) {
    std::cout << (dry_run ? "\nAfter applying, run:\n" : "\nNext, run:\n");
    for (const auto& c : r.next_commands) std::cout << "  " << c << "\n";
  }
}

std::string this_binary() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "/usr/local/bin/dockgate" : p.string();
}

// Runs a command, inheriting stdout and stderr; throws Error naming it when it fails.
void run(const std::vector<std::string>& argv) {
  std::cout << "+";
  for (const auto& a : argv) std::cout << " " << a;
  std::cout << std::endl;
  pid_t pid = ::fork();
  if (pid < 0) throw Error("cannot start " + argv[0]);
  if (pid == 0) {
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Error(argv[0] +
                (WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " is not installed" : " failed") +
                "; the rules before it were applied, the rest were not (rerunning is safe)");
  }
}

void add_gateway(CLI::App* setup) {
  auto* cmd =
      setup->add_subcommand("gateway", "Install dockgate serve as a socket-activated systemd service");
  auto common = std::make_shared<Common>();
  auto opts = std::make_shared<setup::GatewaySetup>();
  opts->binary = this_binary();
  add_common(cmd, *common);
  cmd->add_option(
         "-H,--host", opts->hosts,
         "address dockgate.socket listens on, tcp://IP:PORT or unix://PATH (repeatable; default: port "
         "2376 on every address)")
      ->type_name("ADDRESS");
  cmd->add_option("--binary", opts->binary, "the dockgate executable the service runs")
      ->capture_default_str()
      ->type_name("FILE");
  cmd->callback([=] {
    setup::Host host = host_of(*common);
    // On a staged root the binary may be installed later; on this machine it must be there.
    if (!host.staged() && !host.exists(opts->binary)) {
      throw Error("--binary " + opts->binary +
                  ": no such file; give the path of the dockgate executable the service should run");
    }
    finish(host, setup::plan_gateway(host, *opts), common->dry_run);
  });
}

void add_dockerd(CLI::App* setup) {
  auto* cmd =
      setup->add_subcommand("dockerd", "Make dockerd itself listen on TCP with mutual TLS, done right");
  auto common = std::make_shared<Common>();
  auto opts = std::make_shared<setup::DockerdSetup>();
  opts->certs_dir = files::default_state_dir().string();
  add_common(cmd, *common);
  cmd->add_option(
         "-H,--host", opts->hosts,
         "every address dockerd listens on (repeatable; default: its unix socket and tcp://0.0.0.0:2376)")
      ->type_name("ADDRESS");
  cmd->add_option("--certs", opts->certs_dir,
                  "a `dockgate certs` directory: ca.pem, server-cert.pem, server-key.pem")
      ->capture_default_str()
      ->type_name("DIR");
  cmd->add_flag("--socket-unit", opts->socket_unit,
                "listen through a docker-tcp.socket unit (the CoreOS way) instead of daemon.json \"hosts\"");
  cmd->add_flag("--tls,!--no-tls", opts->tls, "mutual TLS (default true; --tls=false for plain HTTP)");
  cmd->add_flag("--allow-insecure-tcp", opts->allow_insecure_tcp,
                "allow plain HTTP on addresses that are not loopback (gives root to anyone who can connect)");
  cmd->callback([=] {
    setup::Host host = host_of(*common);
    finish(host, setup::plan_dockerd(host, *opts), common->dry_run);
  });
}

void add_firewall(CLI::App* setup) {
  auto* cmd = setup->add_subcommand("firewall", "Rules that open the TLS port to the given networks only");
  auto common = std::make_shared<Common>();
  auto from = std::make_shared<std::vector<std::string>>();
  auto backend = std::make_shared<std::string>();
  auto port = std::make_shared<std::uint16_t>(2376);
  auto apply = std::make_shared<bool>(false);
  add_common(cmd, *common);
  cmd->add_option("--from", *from, "a source network allowed to connect, e.g. 10.0.0.0/8 (repeatable)")
      ->type_name("CIDR");
  cmd->add_option("--backend", *backend, "ufw, firewalld or nftables (default: the one installed)")
      ->type_name("NAME");
  cmd->add_option("--port", *port, "the TCP port to open")->capture_default_str()->type_name("PORT");
  cmd->add_flag("--apply", *apply, "run the commands instead of printing them");
  cmd->callback([=] {
    setup::Host host = host_of(*common);
    std::string name = *backend;
    if (name.empty()) {
      // Say where the backend was looked for and whether it was found: a staged --root names its own tree,
      // and with nothing installed nftables is a default, not a discovery.
      const std::string where = host.staged() ? "under --root " + common->root : "on this host";
      if (host.exists("/usr/sbin/ufw")) {
        name = "ufw";
      } else if (host.exists("/usr/sbin/firewalld") || host.exists("/usr/bin/firewall-cmd")) {
        name = "firewalld";
      } else if (host.exists("/usr/sbin/nft")) {
        name = "nftables";
      }
      if (name.empty()) {
        name = "nftables";
        std::cout << "# backend: nftables (no ufw, firewalld or nft found " << where
                  << "; choose another with --backend)\n";
      } else {
        std::cout << "# backend: " << name << " (found " << where << "; choose another with --backend)\n";
      }
    }
    setup::Firewall fw = setup::parse_firewall(name);
    std::vector<setup::Network> networks;
    networks.reserve(from->size());
    for (const auto& f : *from) networks.push_back(setup::parse_network(f));
    setup::FirewallRules rules = setup::firewall_rules(fw, networks, *port);
    if (!*apply || common->dry_run) {
      std::cout << rules.text;
      return;
    }
    if (fw == setup::Firewall::nftables) {
      // The ruleset goes to a file first, so that it can be included from /etc/nftables.conf.
      setup::SetupResult r;
      r.plan.write(host, "/etc/nftables.d/dockgate.nft", rules.ruleset, 0644);
      for (const auto& line : r.plan.apply(host, std::time(nullptr))) std::cout << line << "\n";
      if (host.staged()) {
        std::cout << "Staged --root: the rules were written, not loaded into this machine's firewall.\n";
        return;
      }
      run({"nft", "-f", host.on_disk("/etc/nftables.d/dockgate.nft").string()});
      return;
    }
    if (host.staged())
      throw UsageError("--apply changes this machine's running firewall; it cannot work on a staged --root");
    for (const auto& c : rules.commands) run(c);
  });
}

void add_check(CLI::App* setup) {
  auto* cmd = setup->add_subcommand("check",
                                    "Lint this host's Docker remote-access setup; each finding with its fix");
  auto common = std::make_shared<Common>();
  auto inputs = std::make_shared<setup::CheckInputs>();
  auto as_json = std::make_shared<bool>(false);
  add_common(cmd, *common);
  cmd->add_option("--certs", inputs->cert_dirs, "another `dockgate certs` directory to check (repeatable)")
      ->type_name("DIR");
  cmd->add_flag("--json", *as_json, "print the findings as JSON");
  cmd->callback([=] {
    setup::Host host = host_of(*common);
    for (const auto& dir : inputs->cert_dirs) {
      std::error_code ec;
      if (!std::filesystem::is_directory(host.on_disk(dir), ec)) {
        throw Error("--certs " + dir + ": no such directory" + (host.staged() ? " under --root" : "") +
                    "; give a `dockgate certs` directory");
      }
    }
    auto findings = setup::check_host(host, *inputs);
    size_t errors = 0;
    for (const auto& f : findings) errors += f.severity == setup::Finding::Severity::error ? 1 : 0;
    if (*as_json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& f : findings) {
        out.push_back({{"severity", f.severity == setup::Finding::Severity::error ? "error" : "warning"},
                       {"where", f.where},
                       {"what", f.what},
                       {"fix", f.fix}});
      }
      std::cout << out.dump(2) << "\n";
    } else if (findings.empty()) {
      std::cout << "No problems found.\n";
    } else {
      for (const auto& f : findings) {
        std::cout << (f.severity == setup::Finding::Severity::error ? "error    " : "warning  ") << f.where
                  << "\n"
                  << "         " << f.what << "\n"
                  << "    fix: " << f.fix << "\n\n";
      }
      std::cout << errors << (errors == 1 ? " error, " : " errors, ") << findings.size() - errors
                << (findings.size() - errors == 1 ? " warning\n" : " warnings\n");
    }
    if (errors > 0) throw ExitStatus{1};
  });
}

}  // namespace

void add_setup(CLI::App& app) {
  auto* setup = app.add_subcommand("setup", "Configure this host: systemd units, dockerd, firewall; lint it");
  setup->require_subcommand(1);
  add_gateway(setup);
  add_dockerd(setup);
  add_firewall(setup);
  add_check(setup);
}

}  // namespace dockgate::cli
