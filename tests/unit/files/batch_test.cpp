#include "files/batch.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "../support.hpp"
#include "error.hpp"

namespace dockgate::files {
namespace {
using testing::mode_of;
using testing::TempDir;
namespace fs = std::filesystem;

void put(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

TEST(Batch, WritesEveryFileWithItsModeAndCreatesDirectories) {
  TempDir tmp;
  Batch b;
  b.write(tmp / "a/key.pem", "secret", 0400);
  b.write(tmp / "a/b/cert.pem", "public", 0444);
  b.commit();
  EXPECT_EQ(read_file(tmp / "a/key.pem", "x"), "secret");
  EXPECT_EQ(read_file(tmp / "a/b/cert.pem", "x"), "public");
  EXPECT_EQ(mode_of(tmp / "a/key.pem"), 0400u);
  EXPECT_EQ(mode_of(tmp / "a/b/cert.pem"), 0444u);
  EXPECT_EQ(mode_of(tmp / "a"), 0700u);
  EXPECT_EQ(mode_of(tmp / "a/b"), 0700u);
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::recursive_directory_iterator(tmp.path())) ++entries;
  EXPECT_EQ(entries, 4u) << "no temporary file may be left behind";
}

TEST(Batch, RefusesExistingFilesBeforeTouchingAnything) {
  TempDir tmp;
  put(tmp / "cert.pem", "old");
  Batch b;
  b.write(tmp / "new/key.pem", "k", 0400);
  b.write(tmp / "cert.pem", "new", 0444);
  std::string msg = testing::error_of([&] { b.commit(); });
  EXPECT_NE(msg.find((tmp / "cert.pem").string() + " already exists"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--force"), std::string::npos) << msg;
  EXPECT_EQ(read_file(tmp / "cert.pem", "x"), "old");
  EXPECT_FALSE(fs::exists(tmp / "new")) << "no directory may be created when the batch is refused";
}

TEST(Batch, ReplacesWhenAsked) {
  TempDir tmp;
  put(tmp / "cert.pem", "old");
  fs::permissions(tmp / "cert.pem", fs::perms::owner_read);
  Batch b;
  b.write(tmp / "cert.pem", "new", 0444, Existing::replace);
  b.commit();
  EXPECT_EQ(read_file(tmp / "cert.pem", "x"), "new");
  EXPECT_EQ(mode_of(tmp / "cert.pem"), 0444u);
}

TEST(Batch, AFailedWriteLeavesNothingBehind) {
  TempDir tmp;
  put(tmp / "blocker", "a regular file where a directory should be");
  Batch b;
  b.write(tmp / "made/one.pem", "1", 0444);
  b.write(tmp / "blocker/sub/two.pem", "2", 0444);
  EXPECT_THROW(b.commit(), Error);
  EXPECT_FALSE(fs::exists(tmp / "made")) << "directories made by a failed batch are removed again";
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tmp.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(Batch, MovesAfterWritingAndRefusesAnOccupiedTarget) {
  TempDir tmp;
  fs::create_directory(tmp / "from");
  put(tmp / "from/x", "x");
  Batch ok;
  ok.move(tmp / "from", tmp / "moved/to");
  ok.commit();
  EXPECT_TRUE(fs::exists(tmp / "moved/to/x"));

  fs::create_directory(tmp / "other");
  Batch clash;
  clash.move(tmp / "other", tmp / "moved/to");
  EXPECT_THROW(clash.commit(), Error);
  EXPECT_TRUE(fs::exists(tmp / "other"));
}

TEST(ReadFile, NamesWhatAndWhereWhenMissing) {
  EXPECT_EQ(testing::error_of([] { read_file("/nonexistent/dockgate/ca.pem", "the CA certificate"); }),
            "cannot read the CA certificate /nonexistent/dockgate/ca.pem: No such file or directory");
}

}  // namespace
}  // namespace dockgate::files
