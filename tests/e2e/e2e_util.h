// GoogleTest glue for the end-to-end tests: a fixture owning one gantryd per test
// suite, and helpers that run gantryctl and parse its `--output json`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/e2e_harness.h"
#include "tests/support/temp_dir.h"

namespace gantry::testing {

inline std::string Describe(const CommandResult& r) {
  return absl::StrCat("exit code ", r.exit_code, "\n--- stdout ---\n", r.out, "--- stderr ---\n",
                      r.err);
}

// Runs gantryctl against `endpoint`; a harness failure (timeout, spawn error) is a
// test failure and comes back as exit code -1.
inline CommandResult Ctl(const std::string& endpoint, const std::vector<std::string>& args,
                         const std::string& stdin_text = "") {
  absl::StatusOr<CommandResult> result = RunGantryctl(endpoint, args, stdin_text);
  if (!result.ok()) {
    ADD_FAILURE() << "gantryctl " << absl::StrJoin(args, " ") << ": " << result.status();
    return CommandResult{};
  }
  return *std::move(result);
}

// Parses gantryctl's --output json into `M` with protobuf's own JSON parser, which
// refuses unknown members, so the output must be exactly a response message.
template <typename M>
M ParseJsonOutput(const CommandResult& r) {
  M message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(r.out, &message, options);
  EXPECT_TRUE(status.ok()) << "not a " << M::descriptor()->full_name() << ": " << status << "\n"
                           << Describe(r);
  return message;
}

// A fixture whose tests share one gantryd, started in SetUpTestSuite on a fresh data
// directory and stopped in TearDownTestSuite. Tests keep independent by using their
// own family and cluster names. (ctest runs each test in its own process, so there
// each test gets its own gantryd; running the binary directly shares it.)
class SharedGantrydTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<TempDir> dir = TempDir::Create("gantry-e2e");
    if (!dir.ok()) {
      start_error_ = dir.status();
      return;
    }
    dir_ = std::make_unique<TempDir>(*std::move(dir));
    GantrydOptions options;
    options.data_dir = dir_->path() / "data";
    // Hosts here are registered by hand with no agent polling for them: they must not
    // be declared lost while the suite runs.
    options.extra_args = {"--host-timeout", "1h"};
    absl::StatusOr<std::unique_ptr<Gantryd>> gantryd = Gantryd::Start(options);
    if (!gantryd.ok()) {
      start_error_ = gantryd.status();
      return;
    }
    gantryd_ = *std::move(gantryd);
  }

  static void TearDownTestSuite() {
    if (gantryd_ != nullptr) {
      absl::StatusOr<int> exit_code = gantryd_->Terminate();
      EXPECT_TRUE(exit_code.ok()) << exit_code.status();
      if (exit_code.ok()) {
        EXPECT_EQ(*exit_code, 0) << gantryd_->LogTail();
      }
    }
    gantryd_.reset();
    dir_.reset();
    start_error_ = absl::OkStatus();
  }

  void SetUp() override {
    ASSERT_NE(gantryd_, nullptr) << "gantryd did not start: " << start_error_;
  }

  static const std::string& endpoint() { return gantryd_->endpoint(); }

  static CommandResult RunCtl(const std::vector<std::string>& args,
                              const std::string& stdin_text = "") {
    return Ctl(endpoint(), args, stdin_text);
  }

  // Runs with --output json, expects exit code 0 and parses the response.
  template <typename M>
  static M RunJson(std::vector<std::string> args) {
    args.insert(args.begin(), {"--output", "json"});
    CommandResult r = RunCtl(args);
    EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\n" << Describe(r);
    return ParseJsonOutput<M>(r);
  }

 private:
  static inline std::unique_ptr<TempDir> dir_;
  static inline std::unique_ptr<Gantryd> gantryd_;
  static inline absl::Status start_error_;
};

}  // namespace gantry::testing
