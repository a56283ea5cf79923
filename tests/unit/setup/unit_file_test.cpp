// systemd's reading of units: continuations, quoting, ExecStart='s reset rule, drop-in order and masking.
#include "setup/unit_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace dockgate::setup {
namespace {

namespace fs = std::filesystem;

class StagedRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("dockgate-unit-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void put(const std::string& path, const std::string& text) {
    fs::path p = root_ / fs::path(path).relative_path();
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  fs::path root_;
};

TEST(ParseUnit, JoinsContinuationsAndSkipsComments) {
  auto s =
      parse_unit("[Service]\n# c\nExecStart=/usr/bin/dockerd \\\n  -H fd:// \\\n# inside\n  --debug\n", "f");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].section, "Service");
  EXPECT_EQ(s[0].key, "ExecStart");
  EXPECT_EQ(s[0].value, "/usr/bin/dockerd  -H fd://  --debug");
  EXPECT_EQ(s[0].line, 3);
}

TEST(SplitCommand, QuotesEscapesAndPrefixes) {
  EXPECT_EQ(split_command("-/usr/bin/dockerd -H \"tcp://a b\" --x='1 2' \\\"q"),
            (std::vector<std::string>{"/usr/bin/dockerd", "-H", "tcp://a b", "--x=1 2", "\"q"}));
  EXPECT_EQ(split_words("-H tcp://0.0.0.0:2375"), (std::vector<std::string>{"-H", "tcp://0.0.0.0:2375"}));
  EXPECT_EQ(join_command({"/usr/bin/dockerd", "--label", "a b", "$DOCKER_OPTS"}),
            "/usr/bin/dockerd --label \"a b\" $DOCKER_OPTS");
}

TEST(ExpandWords, SplitsVariablesStandingAlone) {
  std::map<std::string, std::string> env = {{"DOCKER_OPTS", "-H tcp://0.0.0.0:2375 --debug"}};
  EXPECT_EQ(expand_words({"dockerd", "$DOCKER_OPTS", "${UNSET}", "x$DOCKER_OPTS"}, env),
            (std::vector<std::string>{"dockerd", "-H", "tcp://0.0.0.0:2375", "--debug", "x$DOCKER_OPTS"}));
}

TEST(EnvironmentFile, QuotedValuesAndComments) {
  auto env = parse_environment_file("# x\nDOCKER_OPTS=\"-H fd://\"\nexport A='1'\nB=2\n");
  EXPECT_EQ(env.at("DOCKER_OPTS"), "-H fd://");
  EXPECT_EQ(env.at("A"), "1");
  EXPECT_EQ(env.at("B"), "2");
}

TEST_F(StagedRoot, DropInsApplyInNameOrderEtcMasksLib) {
  put("/lib/systemd/system/docker.service", "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
  put("/lib/systemd/system/docker.service.d/20-x.conf", "[Service]\nExecStart=\nExecStart=/lib-version\n");
  put("/etc/systemd/system/docker.service.d/20-x.conf", "[Service]\nExecStart=\nExecStart=/etc-version\n");
  put("/etc/systemd/system/docker.service.d/10-a.conf", "[Service]\nExecStart=\nExecStart=/first\n");
  Service s = load_service(Host(root_), "docker.service");
  ASSERT_TRUE(s.found());
  ASSERT_EQ(s.drop_ins.size(), 2u);
  EXPECT_EQ(s.drop_ins[0], "/etc/systemd/system/docker.service.d/10-a.conf");
  EXPECT_EQ(s.drop_ins[1], "/etc/systemd/system/docker.service.d/20-x.conf");
  ASSERT_EQ(s.exec_start.size(), 1u);
  EXPECT_EQ(s.exec_start[0].value, "/etc-version");
  EXPECT_TRUE(s.uncleared_exec_start.empty());
}

TEST_F(StagedRoot, ExecStartWithoutResetIsAProblemUnlessOneshot) {
  put("/lib/systemd/system/docker.service", "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
  put("/etc/systemd/system/docker.service.d/override.conf", "[Service]\nExecStart=/usr/bin/dockerd\n");
  Service s = load_service(Host(root_), "docker.service");
  ASSERT_EQ(s.uncleared_exec_start.size(), 1u);
  EXPECT_EQ(s.uncleared_exec_start[0].file, "/etc/systemd/system/docker.service.d/override.conf");
  EXPECT_EQ(s.uncleared_exec_start[0].line, 2);
  EXPECT_TRUE(load_service(Host(root_), "docker.service", "override.conf").uncleared_exec_start.empty());

  put("/etc/systemd/system/docker.service.d/type.conf", "[Service]\nType=oneshot\n");
  EXPECT_TRUE(load_service(Host(root_), "docker.service").uncleared_exec_start.empty());
}

}  // namespace
}  // namespace dockgate::setup
