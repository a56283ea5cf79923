// dockerd's command line as setup reads it: which flags are listeners and TLS, which daemon.json key each
// flag sets (for dockerd's flag-versus-file conflict rule).
#include "setup/dockerd.hpp"

#include <gtest/gtest.h>

namespace dockgate::setup {
namespace {

TEST(DockerdFlags, RemovesListenersAndTlsKeepsTheRest) {
  DockerdFlags f =
      parse_dockerd_flags({"/usr/bin/dockerd", "-H", "fd://", "-H=tcp://0.0.0.0:2375", "-Hunix:///x",
                           "--host", "tcp://h", "--tlsverify", "--tlscert", "/c", "--tlskey=/k",
                           "--containerd=/run/containerd/containerd.sock", "$DOCKER_OPTS"});
  EXPECT_EQ(f.kept, (std::vector<std::string>{
                        "/usr/bin/dockerd", "--containerd=/run/containerd/containerd.sock", "$DOCKER_OPTS"}));
  EXPECT_EQ(f.hosts, (std::vector<std::string>{"fd://", "tcp://0.0.0.0:2375", "unix:///x", "tcp://h"}));
  EXPECT_TRUE(f.tlsverify);
  EXPECT_FALSE(f.tls);
  EXPECT_TRUE(f.keys.contains("hosts"));
  EXPECT_TRUE(f.keys.contains("tlscert"));
  EXPECT_TRUE(f.keys.contains("containerd"));
}

TEST(DockerdFlags, TlsFalseIsNotTls) {
  EXPECT_FALSE(parse_dockerd_flags({"dockerd", "--tls=false"}).tls);
  EXPECT_TRUE(parse_dockerd_flags({"dockerd", "--tls=true"}).tls);
}

TEST(ConflictingKeys, NamedOptionsUseTheirPluralKeys) {
  DockerdFlags f =
      parse_dockerd_flags({"dockerd", "--label", "a=b", "-D", "--insecure-registry=r:5000", "-H", "fd://"});
  nlohmann::ordered_json config = {{"labels", {"c=d"}},
                                   {"debug", true},
                                   {"insecure-registries", {}},
                                   {"hosts", {}},
                                   {"log-level", "warn"}};
  EXPECT_EQ(conflicting_keys(f, config),
            (std::vector<std::string>{"debug", "hosts", "insecure-registries", "labels"}));
}

}  // namespace
}  // namespace dockgate::setup
