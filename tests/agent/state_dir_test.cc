// agent/state_dir: the host id file's format, atomic rewrite and the directory lock.
#include "agent/state_dir.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace gantry::agent {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::gantry::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kId1[] = "0123456789abcdef0123456789abcdef";
constexpr char kId2[] = "fedcba9876543210fedcba9876543210";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

TEST(HostIdsFormat, RoundTrip_KeepsIndexesAndGaps) {
  const std::vector<std::vector<std::string>> cases = {
      {}, {kId1}, {kId1, kId2}, {"", kId2}, {kId1, "", ""},
  };
  for (const std::vector<std::string>& ids : cases) {
    SCOPED_TRACE(FormatHostIds(ids));
    absl::StatusOr<std::vector<std::string>> parsed = ParseHostIds(FormatHostIds(ids));
    ASSERT_THAT(parsed, IsOk());
    EXPECT_EQ(*parsed, ids);
  }
}

TEST(HostIdsFormat, Text_OneIdPerLine) {
  EXPECT_EQ(FormatHostIds({kId1, "", kId2}), std::string(kId1) + "\n\n" + kId2 + "\n");
  // A file whose last line has no newline still counts that line.
  absl::StatusOr<std::vector<std::string>> parsed = ParseHostIds(std::string(kId1) + "\n" + kId2);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_THAT(*parsed, ElementsAre(kId1, kId2));
}

TEST(HostIdsFormat, BadLine_IsInvalidArgumentWithLineNumber) {
  struct Case {
    const char* name;
    std::string text;
    const char* want;
  };
  const Case cases[] = {
      {"space", std::string(kId1) + "\nnot an id\n",
       "hosts line 2: \"not an id\" is not a host id; use 32 lowercase hex digits"},
      {"carriage return", std::string(kId1) + "\r\n", "hosts line 1:"},
      {"too long", std::string(kId1) + "0\n", "hosts line 1:"},
      {"too short", "0123\n", "hosts line 1: \"0123\""},
      {"upper case", "0123456789ABCDEF0123456789ABCDEF\n", "hosts line 1:"},
      {"path", "\n\n../x\n", "hosts line 3: \"../x\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseHostIds(c.text), StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

class HostIdStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("agent-state");
    ASSERT_THAT(dir, IsOk());
    dir_ = std::make_unique<TempDir>(std::move(*dir));
  }
  std::filesystem::path Path() const { return dir_->path() / "state"; }

  std::unique_ptr<TempDir> dir_;
};

TEST_F(HostIdStoreTest, MissingFile_LoadsEmptyAndCreatesDirectory) {
  auto store = HostIdStore::Open(Path());
  ASSERT_THAT(store, IsOk());
  EXPECT_TRUE(std::filesystem::is_directory(Path()));
  auto ids = (*store)->Load();
  ASSERT_THAT(ids, IsOk());
  EXPECT_THAT(*ids, IsEmpty());
}

TEST_F(HostIdStoreTest, SaveThenLoad_RoundTripsAcrossReopen) {
  {
    auto store = HostIdStore::Open(Path());
    ASSERT_THAT(store, IsOk());
    ASSERT_THAT((*store)->Save({kId1, "", kId2}), IsOk());
  }
  auto store = HostIdStore::Open(Path());
  ASSERT_THAT(store, IsOk());
  auto ids = (*store)->Load();
  ASSERT_THAT(ids, IsOk());
  EXPECT_THAT(*ids, ElementsAre(kId1, "", kId2));
  EXPECT_EQ(ReadFile(Path() / "hosts"), std::string(kId1) + "\n\n" + kId2 + "\n");
}

TEST_F(HostIdStoreTest, Rewrite_ReplacesWholeFileAndLeavesNoTempFile) {
  auto store = HostIdStore::Open(Path());
  ASSERT_THAT(store, IsOk());
  ASSERT_THAT((*store)->Save({kId1, kId2, kId1}), IsOk());
  // A temp file left by a crashed save is neither read nor in the way.
  WriteFile(Path() / "hosts.tmp", "garbage that is not an id\n");
  auto ids = (*store)->Load();
  ASSERT_THAT(ids, IsOk());
  EXPECT_EQ(ids->size(), 3u);
  ASSERT_THAT((*store)->Save({kId2}), IsOk());
  EXPECT_EQ(ReadFile(Path() / "hosts"), std::string(kId2) + "\n");
  EXPECT_FALSE(std::filesystem::exists(Path() / "hosts.tmp"));
  ids = (*store)->Load();
  ASSERT_THAT(ids, IsOk());
  EXPECT_THAT(*ids, ElementsAre(kId2));
}

TEST_F(HostIdStoreTest, CorruptFile_LoadIsInvalidArgument) {
  auto store = HostIdStore::Open(Path());
  ASSERT_THAT(store, IsOk());
  WriteFile(Path() / "hosts", std::string(kId1) + "\nnot an id\n");
  EXPECT_THAT((*store)->Load(),
              StatusIs(absl::StatusCode::kInvalidArgument, "hosts line 2: \"not an id\""));
}

TEST_F(HostIdStoreTest, SecondOpen_FailsWhileFirstHoldsTheLock) {
  auto first = HostIdStore::Open(Path());
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(HostIdStore::Open(Path()),
              StatusIs(absl::StatusCode::kFailedPrecondition, "in use by another gantry-agent"));
  first->reset();
  EXPECT_THAT(HostIdStore::Open(Path()), IsOk());
}

}  // namespace
}  // namespace gantry::agent
