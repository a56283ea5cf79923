#include "config/settings.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../support.hpp"

namespace dockgate::config {
namespace {
using dockgate::testing::error_of;
using nlohmann::json;

TEST(ConfigFile, ReadsEveryDirective) {
  Directives d = parse_config_file(R"({
    "hosts": ["tcp://0.0.0.0:2376", "unix:///run/dockgate.sock"],
    "tlsverify": true, "tlscacert": "/etc/dockgate/ca.pem", "tlscert": "/etc/dockgate/server-cert.pem",
    "tlskey": "/etc/dockgate/server-key.pem", "group": "dockremote", "upstream": "unix:///run/docker.sock"
  })",
                                   "/etc/dockgate/config.json");
  Settings s = merge(json::object(), d);
  EXPECT_EQ(s.hosts, (std::vector<std::string>{"tcp://0.0.0.0:2376", "unix:///run/dockgate.sock"}));
  EXPECT_EQ(s.tlsverify, true);
  EXPECT_EQ(s.tls, std::nullopt);
  EXPECT_EQ(s.tlscacert, "/etc/dockgate/ca.pem");
  EXPECT_EQ(s.group, "dockremote");
  EXPECT_EQ(s.upstream, "unix:///run/docker.sock");
  EXPECT_FALSE(s.allow_insecure_tcp);
}

TEST(ConfigFile, SyntaxErrorsNameTheFileLineAndColumn) {
  std::string msg = error_of([] { parse_config_file("{\n  \"hosts\": [\"a\",]\n}\n", "/etc/d.json"); });
  EXPECT_EQ(
      msg.rfind("unable to configure dockgate with file /etc/d.json: invalid JSON at line 2, column 17: ", 0),
      0u)
      << msg;
  EXPECT_NE(error_of([] { parse_config_file("[]", "f.json"); }).find("must hold a JSON object"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_config_file("", "f.json"); }).find("line 1, column 1"), std::string::npos);
  // A number no type holds (found by tests/fuzz): an Error naming the file, not nlohmann's exception.
  EXPECT_EQ(error_of([] { parse_config_file(R"({"x": 1e99999})", "f.json"); }),
            "unable to configure dockgate with file f.json: invalid JSON: number overflow parsing '1e99999'");
}

TEST(ConfigFile, UnknownKeysAndWrongTypesAreNamed) {
  EXPECT_EQ(
      error_of([] { parse_config_file(R"({"tlsverfy": true, "debug": true, "tls": true})", "f.json"); }),
      "unable to configure dockgate with file f.json: the following directives don't match any configuration "
      "option: debug, tlsverfy");
  EXPECT_EQ(error_of([] { parse_config_file(R"({"hosts": "tcp://0.0.0.0:2376"})", "f.json"); }),
            "unable to configure dockgate with file f.json: \"hosts\" must be an array of strings, not "
            "\"tcp://0.0.0.0:2376\"");
  EXPECT_NE(error_of([] { parse_config_file(R"({"tls": "yes"})", "f.json"); }).find("true or false"),
            std::string::npos);
}

TEST(Merge, ADirectiveInBothPlacesIsDockerdsError) {
  json flags = {{"hosts", {"tcp://0.0.0.0:2376"}}, {"tlsverify", true}, {"tlscert", "/a.pem"}};
  json file = {{"hosts", {"unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"}},
               {"tlsverify", true},
               {"group", "g"}};
  EXPECT_EQ(error_of([&] { merge(flags, file); }),
            "the following directives are specified both as a flag and in the configuration file: hosts: "
            "(from flag: "
            "[tcp://0.0.0.0:2376], from file: [unix:///var/run/docker.sock tcp://127.0.0.1:2375]), "
            "tlsverify: (from "
            "flag: true, from file: true)");
}

TEST(Merge, FlagsAndFileCombineWhenDisjoint) {
  Settings s = merge({{"tlscert", "/flag.pem"}, {"tls", false}},
                     {{"hosts", {"tcp://127.0.0.1:2375"}}, {"group", "g"}});
  EXPECT_EQ(s.tlscert, "/flag.pem");
  EXPECT_EQ(s.tls, false);
  EXPECT_EQ(s.hosts, std::vector<std::string>{"tcp://127.0.0.1:2375"});
  EXPECT_EQ(s.group, "g");
  EXPECT_EQ(s.upstream, "unix:///var/run/docker.sock");
}

TEST(Settings, TlsIsOnUnlessTurnedOffAndTlsverifyImpliesIt) {
  Settings s;
  EXPECT_TRUE(s.tls_enabled());
  s.tls = false;
  EXPECT_FALSE(s.tls_enabled());
  s.tlsverify = true;
  EXPECT_TRUE(s.tls_enabled());
}

TEST(ListenAddresses, PlainTcpOnlyOnLoopbackUnlessForced) {
  Settings s;
  s.tls = false;
  s.hosts = {"tcp://127.0.0.1:2375", "unix:///run/d.sock"};
  EXPECT_EQ(listen_addresses(s).size(), 2u);
  s.hosts = {"tcp://0.0.0.0:2375"};
  EXPECT_NE(
      error_of([&] { listen_addresses(s); }).find("refusing to listen on tcp://0.0.0.0:2375 without TLS"),
      std::string::npos);
  s.hosts = {"docker.example.com"};
  EXPECT_THROW(listen_addresses(s), Error);
  s.allow_insecure_tcp = true;
  EXPECT_EQ(listen_addresses(s)[0].text(), "tcp://docker.example.com:2375");
  Settings tls;
  tls.hosts = {"0.0.0.0"};
  EXPECT_EQ(listen_addresses(tls)[0].text(), "tcp://0.0.0.0:2376");
  EXPECT_EQ(listen_addresses(Settings{})[0].text(), "tcp://localhost:2376");
}

}  // namespace
}  // namespace dockgate::config
