// Unified diffs read like diff -u's: hunk ranges, context, removals before additions, missing newlines.
#include "setup/diff.hpp"

#include <gtest/gtest.h>

namespace dockgate::setup {
namespace {

TEST(UnifiedDiff, EqualTextsHaveNoDiff) {
  EXPECT_EQ(unified_diff("a\nb\n", "a\nb\n", "a/f", "b/f"), "");
}

TEST(UnifiedDiff, NewFileIsOneHunkOfAdditions) {
  EXPECT_EQ(unified_diff("", "x\ny\n", "/dev/null", "b/f"),
            "--- /dev/null\n+++ b/f\n@@ -0,0 +1,2 @@\n+x\n+y\n");
}

TEST(UnifiedDiff, ChangeWithContextRemovalsFirst) {
  std::string before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  std::string after = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  EXPECT_EQ(unified_diff(before, after, "a/f", "b/f"),
            "--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST(UnifiedDiff, DistantChangesAreSeparateHunks) {
  std::string before, after;
  for (int i = 1; i <= 20; ++i) {
    before += std::to_string(i) + "\n";
    after += (i == 2 || i == 18 ? "x" : std::to_string(i)) + "\n";
  }
  std::string d = unified_diff(before, after, "a/f", "b/f");
  EXPECT_NE(d.find("@@ -1,5 +1,5 @@\n"), std::string::npos) << d;
  EXPECT_NE(d.find("@@ -15,6 +15,6 @@\n"), std::string::npos) << d;
}

TEST(UnifiedDiff, MarksALastLineWithoutNewline) {
  EXPECT_EQ(unified_diff("{}", "{}\n", "a/f", "b/f"),
            "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-{}\n\\ No newline at end of file\n+{}\n");
}

}  // namespace
}  // namespace dockgate::setup
