// `dockgate client bundle|env|context|install`: from a client's certificates to a working docker client in
// one step.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "client/bundle.hpp"
#include "client/shell.hpp"
#include "doctor/client_config.hpp"
#include "error.hpp"
#include "files/batch.hpp"
#include "files/state_dir.hpp"

extern char** environ;

namespace dockgate::cli {
namespace {
namespace fs = std::filesystem;

const std::vector<std::string> kVariables = {"DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"};

// A bundle directory's files, checked, and its endpoint (-H, else the bundle's `endpoint` file).
struct BundleDir {
  fs::path dir;
  std::string endpoint;
};

// `need_endpoint`: env and context point a client at the endpoint; install only copies the files.
BundleDir open_bundle_dir(const std::string& dir, const std::string& host, bool need_endpoint = true) {
  BundleDir b{fs::absolute(dir).lexically_normal(), host};
  for (const char* f : {"ca.pem", "cert.pem", "key.pem"}) {
    std::error_code ec;
    if (!fs::exists(b.dir / f, ec)) {
      throw Error(b.dir.string() + " is not a client bundle: it has no " + f +
                  " (make one with `dockgate client bundle NAME`)");
    }
  }
  if (b.endpoint.empty()) b.endpoint = client::endpoint_of(b.dir);
  if (b.endpoint.empty()) {
    if (!need_endpoint) return b;
    throw UsageError("no endpoint: pass -H tcp://HOST:2376 (the bundle has no endpoint file)");
  }
  if (b.endpoint.rfind("tcp://", 0) != 0)
    throw UsageError("-H " + b.endpoint + ": a TLS endpoint is tcp://HOST:PORT");
  return b;
}

// Runs a program found on PATH; returns its exit status (128 + signal if killed), or nullopt if it could not
// be started (not installed).
std::optional<int> run_program(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return std::nullopt;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return std::nullopt;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  size_t n = std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
  return {text, n};
}

bool ask(const std::string& question) {
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

struct ClientFlags {
  std::string pki_dir = files::default_state_dir().string();
  std::string name, endpoint, archive, output, bundle = ".", shell, context;
  bool force = false, unset = false, yes = false;
};

void bundle(const ClientFlags& f) {
  client::Bundle b = client::load_from_pki(pki::Layout{fs::absolute(f.pki_dir)}, f.name, f.endpoint);
  if (!f.output.empty()) {
    client::write_directory(b, f.output, f.force);
    std::cout << "Wrote the bundle for " << f.name << " (endpoint " << b.endpoint << ") to " << f.output
              << "\n";
    return;
  }
  std::string archive = f.archive.empty() ? f.name + ".tar.gz" : f.archive;
  files::Batch batch;
  batch.write(archive, client::tar_gz(b), 0600, f.force ? files::Existing::replace : files::Existing::keep);
  batch.commit("pass --force to replace, or choose another --archive");
  std::cout << "Wrote " << archive << " for " << f.name << " (endpoint " << b.endpoint << ").\n"
            << "Hand it over privately (it holds a key); on the client: tar xzf " << archive
            << " && eval \"$(dockgate client env " << f.name << ")\"\n";
}

void env(const ClientFlags& f) {
  client::Shell shell =
      f.shell.empty() ? client::shell_from_env(std::getenv("SHELL")) : client::parse_shell(f.shell);
  if (f.unset) {
    std::cout << client::unset_lines(shell, kVariables);
    return;
  }
  BundleDir b = open_bundle_dir(f.bundle, f.endpoint);
  std::cout << client::set_lines(
      shell, {{"DOCKER_HOST", b.endpoint}, {"DOCKER_TLS_VERIFY", "1"}, {"DOCKER_CERT_PATH", b.dir.string()}});
}

void context(const ClientFlags& f) {
  BundleDir b = open_bundle_dir(f.bundle, f.endpoint);
  std::string spec = "host=" + b.endpoint + ",ca=" + (b.dir / "ca.pem").string() +
                     ",cert=" + (b.dir / "cert.pem").string() + ",key=" + (b.dir / "key.pem").string();
  if (b.dir.string().find_first_of(",=") != std::string::npos) {
    throw Error(b.dir.string() +
                ": docker's --docker option cannot take a path with ',' or '='; move the bundle");
  }
  std::vector<std::string> create = {
      "docker", "context", "create", f.context, "--description", "dockgate: " + b.endpoint, "--docker", spec};
  if (f.force) run_program({"docker", "context", "rm", "--force", f.context});
  std::optional<int> created = run_program(create);
  if (!created) {
    std::cout << "The docker CLI is not on PATH; with it, run:\n  docker context create " << f.context
              << " --docker '" << spec << "'\n";
    return;
  }
  if (*created != 0) {
    throw Error("docker context create " + f.context +
                " failed (see above); --force replaces an existing context");
  }
  std::cout << "Use it with: docker --context " << f.context << " ps   (or: docker context use " << f.context
            << ")\n";
}

void install(const ClientFlags& f) {
  BundleDir b = open_bundle_dir(f.bundle, f.endpoint, false);
  fs::path target = doctor::docker_config_dir(doctor::process_environment());
  struct Copy {
    const char* file;
    unsigned mode;
    std::string contents;
    std::optional<std::string> old;  // what is there now, when it differs
  };
  std::vector<Copy> copies;
  std::string differing;
  for (auto [file, mode] : {std::pair{"ca.pem", 0444u}, {"cert.pem", 0444u}, {"key.pem", 0400u}}) {
    Copy c{file, mode, files::read_file(b.dir / file, "bundle file"), std::nullopt};
    std::error_code ec;
    if (fs::exists(target / file, ec)) {
      std::string old = files::read_file(target / file, "existing file");
      if (old == c.contents) continue;
      c.old = std::move(old);
      differing += (differing.empty() ? "" : ", ") + (target / file).string();
    }
    copies.push_back(std::move(c));
  }
  // One question naming every file that would be replaced: a key replaced unasked strands its certificate.
  if (!differing.empty() && !f.yes) {
    if (::isatty(STDIN_FILENO) != 1) {
      throw Error(differing + " would be replaced; pass --yes to replace them (backups are kept)");
    }
    if (!ask("Replace " + differing + " (backups are kept)?")) throw Error("nothing changed");
  }
  files::Batch batch;
  batch.make_dir(target, 0700);
  std::string stamp = timestamp();
  for (const auto& c : copies) {
    if (c.old) batch.write(target / (std::string(c.file) + ".bak-" + stamp), *c.old, 0400);
    batch.write(target / c.file, c.contents, c.mode, files::Existing::replace);
  }
  batch.commit("backups are named by the second: run the command again");
  std::cout << "Installed the bundle in " << target.string()
            << (differing.empty() ? "" : " (backups: *.bak-" + stamp + ")")
            << ".\nThe docker CLI reads it there with:\n  export DOCKER_HOST="
            << (b.endpoint.empty() ? "tcp://HOST:2376   # the gateway's address: the bundle names none"
                                   : b.endpoint)
            << "\n  export DOCKER_TLS_VERIFY=1\n";
}

}  // namespace

void add_client(CLI::App& app) {
  auto f = std::make_shared<ClientFlags>();
  CLI::App* cmd = app.add_subcommand("client", "Connect a docker client in one step");
  cmd->require_subcommand(1);

  CLI::App* b = cmd->add_subcommand("bundle", "Pack a client's CA, certificate and key, with the endpoint");
  b->add_option("NAME", f->name, "The client (as issued by `dockgate certs issue client`)")->required();
  b->add_option("--dir", f->pki_dir, "PKI directory")->capture_default_str()->type_name("DIR");
  b->add_option("-H,--host", f->endpoint, "Endpoint for clients (default: from the server certificate)")
      ->type_name("ENDPOINT");
  b->add_option("--archive", f->archive, "Archive to write (default: NAME.tar.gz)")->type_name("FILE");
  b->add_option("--output", f->output, "Write a directory instead of an archive")->type_name("DIR");
  b->add_flag("--force", f->force, "Replace existing files");
  b->callback([f] { bundle(*f); });

  CLI::App* e = cmd->add_subcommand("env", "Print the lines that point a shell's docker CLI at a bundle");
  e->add_option("BUNDLE_DIR", f->bundle, "Bundle directory (default: .)");
  e->add_option("-H,--host", f->endpoint, "Endpoint (default: the bundle's endpoint file)")
      ->type_name("ENDPOINT");
  e->add_option("--shell", f->shell, "bash, zsh, fish, powershell or cmd (default: from $SHELL)")
      ->type_name("SHELL");
  e->add_flag("--unset", f->unset, "Print the lines that remove the variables instead");
  e->callback([f] { env(*f); });

  CLI::App* c = cmd->add_subcommand("context", "Create a docker context for a bundle");
  c->add_option("NAME", f->context, "Context name")->required();
  c->add_option("BUNDLE_DIR", f->bundle, "Bundle directory (default: .)");
  c->add_option("-H,--host", f->endpoint, "Endpoint (default: the bundle's endpoint file)")
      ->type_name("ENDPOINT");
  c->add_flag("--force", f->force, "Replace a context of that name");
  c->callback([f] { context(*f); });

  CLI::App* i = cmd->add_subcommand("install", "Copy a bundle into the docker config directory (~/.docker)");
  i->add_option("BUNDLE_DIR", f->bundle, "Bundle directory (default: .)");
  i->add_option("-H,--host", f->endpoint, "Endpoint (default: the bundle's endpoint file)")
      ->type_name("ENDPOINT");
  i->add_flag("-y,--yes", f->yes, "Replace existing files without asking (backups are kept)");
  i->callback([f] { install(*f); });
}

}  // namespace dockgate::cli
