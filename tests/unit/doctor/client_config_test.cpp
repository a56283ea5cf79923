// The docker CLI's rules for host, TLS and certificate files, as the doctor reproduces them.
#include "doctor/client_config.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "../support.hpp"
#include "error.hpp"

namespace dockgate::doctor {
namespace {
using testing::TempDir;

Environment env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ClientConfig, DefaultsToTheLocalSocketWithoutTls) {
  ClientConfig c = resolve_client_config({}, env_of({{"HOME", "/home/u"}}));
  EXPECT_EQ(c.host, "unix:///var/run/docker.sock");
  EXPECT_FALSE(c.tls);
}

TEST(ClientConfig, AnyNonEmptyTlsVerifyTurnsVerificationOn) {
  ClientConfig c =
      resolve_client_config({}, env_of({{"DOCKER_HOST", "tcp://h:2376"}, {"DOCKER_TLS_VERIFY", "0"}}));
  EXPECT_TRUE(c.tls && c.verify);
  ClientConfig off =
      resolve_client_config({}, env_of({{"DOCKER_HOST", "tcp://h:2376"}, {"DOCKER_TLS_VERIFY", ""}}));
  EXPECT_FALSE(off.tls);
}

TEST(ClientConfig, FlagsWinOverEnvironmentAndPortDefaultsTo2375) {
  ClientFlags f;
  f.host = "tcp://other";
  ClientConfig c = resolve_client_config(f, env_of({{"DOCKER_HOST", "tcp://h:2376"}}));
  EXPECT_EQ(c.host, "tcp://other:2375");
  EXPECT_EQ(c.host_source, "-H");
}

TEST(ClientConfig, TakesFilesFromDockerCertPathWhenPresent) {
  TempDir dir;
  for (const char* f : {"ca.pem", "cert.pem", "key.pem"}) std::ofstream(dir.path() / f) << "x";
  ClientConfig c = resolve_client_config({}, env_of({{"DOCKER_HOST", "tcp://h:2376"},
                                                     {"DOCKER_TLS_VERIFY", "1"},
                                                     {"DOCKER_CERT_PATH", dir.path().string()}}));
  EXPECT_EQ(c.ca, (dir.path() / "ca.pem").string());
  EXPECT_EQ(c.key, (dir.path() / "key.pem").string());
}

TEST(ClientConfig, ReadsADockerContext) {
  TempDir dir;
  std::string id = context_id("remote");
  auto meta = dir.path() / "contexts" / "meta" / id;
  std::filesystem::create_directories(meta);
  std::ofstream(meta / "meta.json") << R"({"Name":"remote","Endpoints":{"docker":{"Host":"tcp://h:2376"}}})";
  auto tls = dir.path() / "contexts" / "tls" / id / "docker";
  std::filesystem::create_directories(tls);
  std::ofstream(tls / "ca.pem") << "x";
  ClientFlags f;
  f.context = "remote";
  ClientConfig c = resolve_client_config(f, env_of({{"DOCKER_CONFIG", dir.path().string()}}));
  EXPECT_EQ(c.host, "tcp://h:2376");
  EXPECT_TRUE(c.tls && c.verify);
  EXPECT_EQ(c.ca, (tls / "ca.pem").string());
  f.context = "missing";
  EXPECT_THROW(resolve_client_config(f, env_of({{"DOCKER_CONFIG", dir.path().string()}})), Error);
}

TEST(ClientConfig, ContextIdIsTheSha256OfTheName) {
  // As the docker CLI stores it (docker context inspect shows the same directory name).
  EXPECT_EQ(context_id("default").size(), 64u);
  EXPECT_EQ(context_id("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace dockgate::doctor
