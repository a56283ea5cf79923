// Each shell's lines read back exactly the value given, quotes and all.
#include "client/shell.hpp"

#include <gtest/gtest.h>

#include "error.hpp"

namespace dockgate::client {
namespace {

TEST(Quote, SurvivesQuotesAndSpacesInEachShell) {
  EXPECT_EQ(quote(Shell::bash, "/home/o'neil/my certs"), "'/home/o'\\''neil/my certs'");
  EXPECT_EQ(quote(Shell::fish, "a\\b'c"), "'a\\\\b\\'c'");
  EXPECT_EQ(quote(Shell::powershell, "it's"), "'it''s'");
}

TEST(SetLines, UseEachShellsSyntax) {
  Variables v = {{"DOCKER_HOST", "tcp://h:2376"}};
  EXPECT_EQ(set_lines(Shell::bash, v).substr(0, 34), "export DOCKER_HOST='tcp://h:2376'\n");
  EXPECT_EQ(set_lines(Shell::fish, v).substr(0, 37), "set -gx DOCKER_HOST 'tcp://h:2376';\n#");
  EXPECT_EQ(set_lines(Shell::powershell, v).substr(0, 35), "$Env:DOCKER_HOST = 'tcp://h:2376'\n#");
  EXPECT_EQ(set_lines(Shell::cmd, v).substr(0, 33), "set \"DOCKER_HOST=tcp://h:2376\"\nRE");
  EXPECT_THROW(set_lines(Shell::cmd, {{"X", "a\"b"}}), Error);
}

TEST(UnsetLines, RemoveEachVariable) {
  EXPECT_EQ(unset_lines(Shell::bash, {"A", "B"}), "unset A\nunset B\n");
  EXPECT_EQ(unset_lines(Shell::fish, {"A"}), "set -e A;\n");
  EXPECT_EQ(unset_lines(Shell::cmd, {"A"}), "set A=\n");
}

TEST(Shells, ParsedFromFlagOrEnvironment) {
  EXPECT_EQ(parse_shell("pwsh"), Shell::powershell);
  EXPECT_THROW(parse_shell("tcsh"), Error);
  EXPECT_EQ(shell_from_env("/usr/bin/fish"), Shell::fish);
  EXPECT_EQ(shell_from_env(nullptr), Shell::bash);
}

}  // namespace
}  // namespace dockgate::client
