// The process harness itself (tests/support/process.h, temp_dir.h), driven with /bin/sh.
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;

ProcessOptions Shell(const std::string& script) { return {{"/bin/sh", "-c", script}}; }

TEST(Subprocess, ReadStdoutLine_LinesInOrderThenDeadline) {
  auto process = Subprocess::Start(Shell("echo one; echo two; printf three; exec sleep 30"));
  ASSERT_THAT(process, IsOk());
  Subprocess& p = **process;
  EXPECT_EQ(p.ReadStdoutLine(absl::Seconds(10)).value_or("?"), "one");
  EXPECT_EQ(p.ReadStdoutLine(absl::Seconds(10)).value_or("?"), "two");
  absl::Time start = absl::Now();
  EXPECT_THAT(p.ReadStdoutLine(absl::Milliseconds(200)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, "no line"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  ASSERT_THAT(p.Signal(SIGTERM), IsOk());
  EXPECT_EQ(p.Wait(absl::Seconds(10)).value_or(-1), 128 + SIGTERM);
  EXPECT_THAT(p.Signal(SIGTERM), StatusIs(absl::StatusCode::kFailedPrecondition, "ended"));
}

TEST(Subprocess, ReadStdoutLine_ClosedBeforeNewline_IsOutOfRange) {
  auto process = Subprocess::Start(Shell("printf partial"));
  ASSERT_THAT(process, IsOk());
  EXPECT_THAT((*process)->ReadStdoutLine(absl::Seconds(10)),
              StatusIs(absl::StatusCode::kOutOfRange, "partial"));
  EXPECT_EQ((*process)->Wait(absl::Seconds(10)).value_or(-1), 0);
}

TEST(Subprocess, Wait_RunningChild_IsDeadlineExceeded) {
  auto process = Subprocess::Start(Shell("exec sleep 30"));
  ASSERT_THAT(process, IsOk());
  EXPECT_THAT((*process)->Wait(absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, "still running"));
  // The destructor kills and reaps it.
}

TEST(RunCommand, CollectsStdoutStderrAndExitCode) {
  auto result = RunCommand(Shell("echo out; echo err >&2; exit 3"), "", absl::Seconds(10));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->out, "out\n");
  EXPECT_EQ(result->err, "err\n");
}

TEST(RunCommand, LargeStdin_RoundTripsWithoutDeadlock) {
  std::string input(1 << 20, 'x');
  auto result = RunCommand({{"/bin/cat"}}, input, absl::Seconds(30));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->out.size(), input.size());
}

TEST(RunCommand, Timeout_KillsTheChild) {
  absl::Time start = absl::Now();
  EXPECT_THAT(RunCommand(Shell("echo started; exec sleep 30"), "", absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, "started"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(RunCommand, MissingExecutable_Exits127) {
  auto result = RunCommand({{"/nonexistent/binary"}}, "", absl::Seconds(10));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->exit_code, 127);
  EXPECT_THAT(result->err, HasSubstr("/nonexistent/binary"));
}

TEST(RunCommand, EnvironmentChanges_SetAndUnset) {
  ProcessOptions options = Shell("echo \"${GANTRY_TEST_SET}|${GANTRY_TEST_UNSET-unset}\"");
  options.env["GANTRY_TEST_SET"] = "value";
  options.env["GANTRY_TEST_UNSET"] = std::nullopt;
  auto result = RunCommand(options, "", absl::Seconds(10));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->out, "value|unset\n");
}

TEST(RunCommand, ManyThreadsAtOnce_EachGetsItsOwnOutput) {
  constexpr int kThreads = 8;
  std::vector<std::string> outputs(kThreads);
  std::vector<std::thread> threads;
  absl::Time start = absl::Now();
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&outputs, i] {
      // Children that outlive each other must not hold each other's pipes open.
      auto result =
          RunCommand(Shell(absl::StrCat("echo ", i, "; sleep 0.", i)), "", absl::Seconds(30));
      outputs[i] = result.ok() ? result->out : result.status().ToString();
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(outputs[i], absl::StrCat(i, "\n"));
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
}

TEST(Subprocess, StderrFile_IsAppended) {
  absl::StatusOr<TempDir> dir = TempDir::Create("gantry-process-test");
  ASSERT_THAT(dir, IsOk());
  ProcessOptions options = Shell("echo logged >&2");
  options.stderr_file = dir->path() / "log";
  for (int i = 0; i < 2; ++i) {
    auto result = RunCommand(options, "", absl::Seconds(10));
    ASSERT_THAT(result, IsOk());
    EXPECT_EQ(result->err, "");
  }
  std::ifstream file(options.stderr_file);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(file), {}), "logged\nlogged\n");
}

TEST(TempDir, ReadableByOthersAndRemovedWithContents) {
  std::filesystem::path path;
  {
    absl::StatusOr<TempDir> dir = TempDir::Create("gantry-temp-test");
    ASSERT_THAT(dir, IsOk());
    path = dir->path();
    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0755u);
    std::filesystem::create_directories(path / "a" / "b");
    std::ofstream(path / "a" / "b" / "file") << "x";
    TempDir moved = *std::move(dir);
    EXPECT_EQ(moved.path(), path);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace gantry::testing
