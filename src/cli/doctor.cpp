// `dockgate doctor`: the docker CLI's connection flags and environment in, a step-by-step diagnosis out.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "doctor/probe.hpp"
#include "error.hpp"

namespace dockgate::cli {
namespace {

struct DoctorFlags {
  doctor::ClientFlags client;
  std::string host, context, tlscacert, tlscert, tlskey;
  bool json = false;
  int timeout_ms = 5000;
};

void print_human(const doctor::Report& r) {
  bool color = ::isatty(STDOUT_FILENO) == 1;
  auto mark = [&](doctor::Step::Status s) -> std::string {
    switch (s) {
      case doctor::Step::Status::ok:
        return color ? "\033[32m✓\033[0m" : "✓";
      case doctor::Step::Status::warn:
        return color ? "\033[33m!\033[0m" : "!";
      case doctor::Step::Status::fail:
        return color ? "\033[31m✗\033[0m" : "✗";
    }
    return "?";
  };
  std::cout << "dockgate doctor: " << r.config.host << " (from " << r.config.host_source << "), TLS "
            << r.config.tls_source << "\n";
  for (const auto& s : r.steps) {
    std::string name = s.name;
    name.resize(std::max<size_t>(name.size(), 19), ' ');
    std::cout << "  " << mark(s.status) << " " << name << s.detail << "\n";
    if (!s.fix.empty()) std::cout << "      fix: " << s.fix << "\n";
  }
  std::cout << (r.usable ? "The endpoint is usable.\n" : "The endpoint is not usable.\n");
}

void print_json(const doctor::Report& r) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : r.steps) {
    nlohmann::json j = {{"step", s.name}, {"status", doctor::status_name(s.status)}, {"detail", s.detail}};
    if (!s.fix.empty()) j["fix"] = s.fix;
    steps.push_back(j);
  }
  nlohmann::json out = {
      {"host", r.config.host}, {"host_source", r.config.host_source},
      {"tls", r.config.tls},   {"tls_verify", r.config.verify},
      {"ca", r.config.ca},     {"cert", r.config.cert},
      {"key", r.config.key},   {"usable", r.usable},
      {"steps", steps},
  };
  std::cout << out.dump(2) << "\n";
}

}  // namespace

void add_doctor(CLI::App& app) {
  auto f = std::make_shared<DoctorFlags>();
  CLI::App* cmd = app.add_subcommand(
      "doctor", "Check a Docker endpoint the way the docker CLI would reach it, and explain any failure");
  cmd->add_option("-H,--host", f->host, "Endpoint (default: DOCKER_HOST, the context, or the local socket)")
      ->type_name("ENDPOINT");
  cmd->add_option("-c,--context", f->context, "Docker context to check (default: DOCKER_CONTEXT)")
      ->type_name("NAME");
  cmd->add_flag("--tls", f->client.tls, "Use TLS (implied by --tlsverify)");
  cmd->add_flag("--tlsverify", f->client.tlsverify, "Use TLS and verify the server (or DOCKER_TLS_VERIFY)");
  cmd->add_option("--tlscacert", f->tlscacert, "CA certificate (default: DOCKER_CERT_PATH/ca.pem)")
      ->type_name("FILE");
  cmd->add_option("--tlscert", f->tlscert, "Client certificate (default: DOCKER_CERT_PATH/cert.pem)")
      ->type_name("FILE");
  cmd->add_option("--tlskey", f->tlskey, "Client key (default: DOCKER_CERT_PATH/key.pem)")->type_name("FILE");
  cmd->add_option("--timeout-ms", f->timeout_ms, "Per-step network timeout")
      ->capture_default_str()
      ->type_name("MS");
  cmd->add_flag("--json", f->json, "Machine-readable report");
  cmd->callback([f, cmd] {
    if (cmd->count("--host") > 0) f->client.host = f->host;
    if (cmd->count("--context") > 0) f->client.context = f->context;
    if (cmd->count("--tlscacert") > 0) f->client.tlscacert = f->tlscacert;
    if (cmd->count("--tlscert") > 0) f->client.tlscert = f->tlscert;
    if (cmd->count("--tlskey") > 0) f->client.tlskey = f->tlskey;
    doctor::ClientConfig config = doctor::resolve_client_config(f->client, doctor::process_environment());
    doctor::Report report = doctor::diagnose(config, std::chrono::milliseconds(f->timeout_ms));
    if (f->json) {
      print_json(report);
    } else {
      print_human(report);
    }
    if (!report.usable) throw ExitStatus{1};
  });
}

}  // namespace dockgate::cli
