// The docker CLI's connection settings, reproduced.
#include "doctor/client_config.hpp"

#include <openssl/evp.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "files/batch.hpp"

namespace dockgate::doctor {
namespace fs = std::filesystem;

namespace {

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// The CLI's normalisation of a host: "tcp://h" gets port 2375 (docker/cli opts/hosts.go uses
// tcp://localhost:2375 as the default to fill in), a bare "h:p" is TCP.
std::string normalise_host(std::string host) {
  if (host.find("://") == std::string::npos) host = "tcp://" + host;
  if (host.rfind("tcp://", 0) == 0) {
    std::string rest = host.substr(6);
    size_t slash = rest.find('/');
    if (slash != std::string::npos) rest = rest.substr(0, slash);
    bool has_port = rest.empty()          ? false
                    : rest.front() == '[' ? rest.find("]:") != std::string::npos
                                          : rest.find(':') != std::string::npos;
    if (rest.empty()) rest = "localhost";
    if (!has_port) rest += ":2375";
    host = "tcp://" + rest;
  }
  return host;
}

}  // namespace

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::string docker_config_dir(const Environment& env) {
  if (auto d = env("DOCKER_CONFIG"); d && !d->empty()) return *d;
  std::string home = env("HOME").value_or("");
  return (fs::path(home) / ".docker").string();
}

std::string context_id(const std::string& name) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(name.data(), name.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xF];
  }
  return out;
}

ClientConfig resolve_client_config(const ClientFlags& flags, const Environment& env) {
  ClientConfig c;
  for (const char* name : {"REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"}) {
    if (auto value = env(name); value && !value->empty())
      c.python_ca_overrides.push_back(std::string(name) + "=" + *value);
  }
  std::string config_dir = docker_config_dir(env);

  // A context (flag, then DOCKER_CONTEXT) names host and TLS files, unless -H or DOCKER_HOST is given.
  std::optional<std::string> context = flags.context;
  if (!context && !flags.host && !env("DOCKER_HOST")) context = env("DOCKER_CONTEXT");
  if (context && !context->empty() && *context != "default") {
    std::string id = context_id(*context);
    fs::path meta = fs::path(config_dir) / "contexts" / "meta" / id / "meta.json";
    if (!exists(meta.string())) {
      throw Error("context \"" + *context + "\" does not exist (no " + meta.string() +
                  "); list them with `docker context ls`");
    }
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(files::read_file(meta, "context metadata"));
    } catch (const nlohmann::json::exception& e) {
      throw Error("context \"" + *context + "\": cannot parse " + meta.string() + ": " + e.what());
    }
    const auto& docker = j["Endpoints"]["docker"];
    c.host = normalise_host(docker.value("Host", "unix:///var/run/docker.sock"));
    c.host_source = "context " + *context;
    fs::path tls = fs::path(config_dir) / "contexts" / "tls" / id / "docker";
    bool skip_verify = docker.value("SkipTLSVerify", false);
    for (auto [file, field] : {std::pair{"ca.pem", &c.ca}, {"cert.pem", &c.cert}, {"key.pem", &c.key}}) {
      if (exists((tls / file).string())) *field = (tls / file).string();
    }
    c.tls = !c.ca.empty() || !c.cert.empty() || skip_verify;
    c.verify = c.tls && !skip_verify;
    c.tls_source = c.tls ? "context " + *context + " (" + tls.string() + ")" : "context " + *context;
    return c;
  }

  if (flags.host) {
    c.host = normalise_host(*flags.host);
    c.host_source = "-H";
  } else if (auto h = env("DOCKER_HOST"); h && !h->empty()) {
    c.host = normalise_host(*h);
    c.host_source = "DOCKER_HOST";
  } else {
    c.host = "unix:///var/run/docker.sock";
    c.host_source = "default";
  }

  // docker/cli: DOCKER_TLS_VERIFY set to anything non-empty turns on verification (even "0").
  bool env_verify = env("DOCKER_TLS_VERIFY").value_or("") != "";
  c.verify = flags.tlsverify || env_verify;
  c.tls = c.verify || flags.tls;
  if (!c.tls) {
    c.tls_source = "off (no --tls, --tlsverify or DOCKER_TLS_VERIFY)";
    return c;
  }
  std::string cert_path = env("DOCKER_CERT_PATH").value_or("");
  std::string from = cert_path.empty() ? config_dir + " (default)" : cert_path + " (DOCKER_CERT_PATH)";
  if (cert_path.empty()) cert_path = config_dir;
  auto pick = [&](const std::optional<std::string>& flag, const char* file, std::string& out) {
    if (flag) {
      out = *flag;  // named explicitly: a missing file is an error the report shows
    } else if (std::string p = (fs::path(cert_path) / file).string(); exists(p)) {
      out = p;
    }
  };
  pick(flags.tlscacert, "ca.pem", c.ca);
  pick(flags.tlscert, "cert.pem", c.cert);
  pick(flags.tlskey, "key.pem", c.key);
  c.tls_source = std::string(c.verify ? "verified" : "not verified (--tls without --tlsverify)") +
                 ", certificates from " + from;
  return c;
}

}  // namespace dockgate::doctor
