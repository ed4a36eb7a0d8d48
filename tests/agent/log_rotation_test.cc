// agent/containerd/log_rotation.h on files in a temporary directory.
#include "agent/containerd/log_rotation.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace gantry::agent::containerd {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::app);
  file << text;
}

std::string Read(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

class LogRotation : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<testing::TempDir> dir = testing::TempDir::Create("gantry-logrotate");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<testing::TempDir>(*std::move(dir));
    log_ = dir_->path() / "app.log";
  }

  std::unique_ptr<testing::TempDir> dir_;
  fs::path log_;
};

TEST_F(LogRotation, SmallOrMissingFile_IsLeftAlone) {
  EXPECT_TRUE(RotateIfLarger(log_, 10, 3).ok());
  EXPECT_FALSE(fs::exists(log_));
  Write(log_, "0123456789");
  EXPECT_TRUE(RotateIfLarger(log_, 10, 3).ok());
  EXPECT_EQ(Read(log_), "0123456789");
  EXPECT_FALSE(fs::exists(dir_->path() / "app.log.1"));
}

TEST_F(LogRotation, LargeFile_ShiftsOldOnes_KeepsAtMostFiles_TruncatesInPlace) {
  for (const std::string generation : {"first-", "second", "third-", "fourth"}) {
    Write(log_, generation + "-over-ten-bytes");
    ASSERT_TRUE(RotateIfLarger(log_, 10, 3).ok());
  }
  EXPECT_EQ(Read(log_), "");
  EXPECT_EQ(Read(dir_->path() / "app.log.1"), "fourth-over-ten-bytes");
  EXPECT_EQ(Read(dir_->path() / "app.log.2"), "third--over-ten-bytes");
  EXPECT_FALSE(fs::exists(dir_->path() / "app.log.3"));
}

// The writer (the shim) keeps its append-mode descriptor: after the truncation its next
// write starts the live file again.
TEST_F(LogRotation, WriterKeepsItsDescriptor_NextWriteStartsTheLiveFile) {
  std::ofstream writer(log_, std::ios::app);
  writer << "before rotation, long enough" << std::flush;
  ASSERT_TRUE(RotateIfLarger(log_, 10, 2).ok());
  writer << "after" << std::flush;
  EXPECT_EQ(Read(log_), "after");
  EXPECT_EQ(Read(dir_->path() / "app.log.1"), "before rotation, long enough");
}

TEST_F(LogRotation, OneFile_OnlyTruncates) {
  Write(log_, "more than ten bytes here");
  ASSERT_TRUE(RotateIfLarger(log_, 10, 1).ok());
  EXPECT_EQ(Read(log_), "");
  EXPECT_FALSE(fs::exists(dir_->path() / "app.log.1"));
}

}  // namespace
}  // namespace gantry::agent::containerd
