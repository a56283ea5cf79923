// The timestamps of log lines and audit events: RFC 3339 in UTC with milliseconds, also when the formatted
// second is reused from the call before.
#include "obs/log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <regex>
#include <thread>

namespace dockgate::obs {
namespace {

TEST(Log, JsonLinesGiveNumbersAsNumbers) {
  init_logging(Level::debug, "json");
  ::testing::internal::CaptureStderr();
  log(Level::info, "request", {{"status", 200}, {"bytes_out", std::uint64_t{12345}}, {"client", "CN=a"}});
  std::string line = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(line.find(R"("status":200)"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("bytes_out":12345)"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("client":"CN=a")"), std::string::npos) << line;
}

TEST(Timestamp, IsRfc3339UtcWithMilliseconds) {
  const std::regex shape(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  for (int i = 0; i < 3; ++i) {
    std::string t = timestamp();
    EXPECT_TRUE(std::regex_match(t, shape)) << t;
  }
}

TEST(Timestamp, FollowsTheClock) {
  std::string before = timestamp();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::string after = timestamp();
  EXPECT_LT(before, after);
  EXPECT_NE(before.substr(0, 19), after.substr(0, 19));  // a new second is formatted, not reused
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char year[8];
  std::strftime(year, sizeof year, "%Y", &tm);
  EXPECT_EQ(after.substr(0, 4), year);
}

}  // namespace
}  // namespace dockgate::obs
