#include "agent/log_reader.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace gantry::agent {
namespace {

TEST(PlanLogRead, Table) {
  struct Case {
    const char* name;
    int64_t size;
    int64_t start;
    int32_t max;
    LogWindow want;
  };
  const Case cases[] = {
      {"from the start", 100, 0, 30, {0, 30}},
      {"the rest", 100, 90, 30, {90, 100}},
      {"at the end", 100, 100, 30, {100, 100}},
      {"tail", 100, -1, 30, {70, 100}},
      {"tail of a short log", 10, -1, 30, {0, 10}},
      {"rotated: past the end starts over", 10, 50, 30, {0, 10}},
      {"empty log", 0, 0, 30, {0, 0}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LogWindow got = PlanLogRead(c.size, c.start, c.max);
    EXPECT_EQ(got.begin, c.want.begin);
    EXPECT_EQ(got.end, c.want.end);
  }
}

TEST(SliceLog, BytesAndNextOffset) {
  const std::string log = "line one\nline two\n";
  LogChunk first = SliceLog(log, 0, 9);
  EXPECT_EQ(first.data, "line one\n");
  EXPECT_EQ(first.next_offset, 9);
  LogChunk rest = SliceLog(log, first.next_offset, 100);
  EXPECT_EQ(rest.data, "line two\n");
  EXPECT_EQ(rest.next_offset, 18);
  EXPECT_EQ(SliceLog(log, 18, 100).data, "");
}

TEST(ReadLogFile, ReadsWindows_MissingFileIsEmpty_TruncatedStartsOver) {
  char pattern[] = "/tmp/gantry-log-reader-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::filesystem::path dir = pattern;
  const std::filesystem::path file = dir / "app.log";
  absl::StatusOr<LogChunk> missing = ReadLogFile(file, 0, 100);
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->data, "");
  EXPECT_EQ(missing->next_offset, 0);
  { std::ofstream(file) << "0123456789"; }
  absl::StatusOr<LogChunk> chunk = ReadLogFile(file, 4, 3);
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(chunk->data, "456");
  EXPECT_EQ(chunk->next_offset, 7);
  chunk = ReadLogFile(file, -1, 4);
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(chunk->data, "6789");
  { std::ofstream(file, std::ios::trunc) << "new"; }  // rotated by copy and truncate
  chunk = ReadLogFile(file, 10, 100);
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(chunk->data, "new");
  EXPECT_EQ(chunk->next_offset, 3);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gantry::agent
