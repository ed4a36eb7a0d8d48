// What a wait prints (WaitAndPrint): the progress line on a terminal, rewritten in
// place and wiped at the end, the response, and the errors with what run-task --wait
// adds to them; DescribeTasks and the clock are fakes.
#include <algorithm>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cli/cli.h"
#include "cli/internal/shell.h"
#include "cli/internal/wait.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gantry::cli::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:task/default/";
constexpr char kAfterError[] = "error: run-task started 1 task: a\n";

v1::DescribeTasksResponse OneTask(const std::string& status) {
  v1::DescribeTasksResponse response;
  v1::Task* task = response.add_tasks();
  task->set_task_arn(std::string(kArnPrefix) + "a");
  task->set_last_status(status);
  task->set_task_definition_arn("arn:aws:ecs:us-east-1:000000000000:task-definition/web:3");
  return response;
}

// Answers from a script (the last answer repeats) on a fake clock; every call takes
// 20 ms and every sleep advances the clock.
class ScriptedWait {
 public:
  explicit ScriptedWait(std::vector<DescribeAttempt> script) : script_(std::move(script)) {}

  WaitRun Run(absl::Duration timeout) {
    WaitRun wait;
    wait.describe = [this](absl::Duration) {
      now_ += absl::Milliseconds(20);
      return script_[std::min(calls_++, script_.size() - 1)];
    };
    wait.reached_server = [this] { return connected_; };
    wait.clock = {[this] { return now_; }, [this](absl::Duration d) { now_ += d; }};
    wait.kind = WaitKind::kTasksRunning;
    wait.timeout = timeout;
    wait.after_error = kAfterError;
    return wait;
  }

  bool connected_ = true;

 private:
  std::vector<DescribeAttempt> script_;
  size_t calls_ = 0;
  absl::Time now_ = absl::FromUnixSeconds(1718000000);
};

struct Printed {
  int exit_code;
  std::string out;
  std::string err;
};

Printed Print(ScriptedWait& fake, absl::Duration timeout, bool terminal,
              OutputFormat output = OutputFormat::kTable, const std::string& query = "") {
  Invocation inv;
  inv.endpoint = "127.0.0.1:1";
  inv.command = "run-task";
  inv.output = output;
  inv.query = query;
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  Io io{in, out, err, terminal};
  const int exit_code = WaitAndPrint(inv, io, fake.Run(timeout));
  return {exit_code, out.str(), err.str()};
}

TEST(WaitAndPrint, Terminal_RewritesOneProgressLineInPlaceAndWipesItAtTheEnd) {
  ScriptedWait fake(
      {{OneTask("PROVISIONING"), true}, {OneTask("PENDING"), true}, {OneTask("RUNNING"), true}});
  Printed p = Print(fake, absl::Minutes(10), /*terminal=*/true);
  EXPECT_EQ(p.exit_code, kExitOk);
  const std::string first = "waiting for 1 task: 0 RUNNING, 1 PROVISIONING (0s)";
  const std::string second = "waiting for 1 task: 0 RUNNING, 1 PENDING (0s)";
  // The shorter second line is padded over the first; the end wipes the longest one
  // and leaves the cursor at the start of the blank line.
  EXPECT_EQ(p.err, "\r" + first + "\r" + second + std::string(first.size() - second.size(), ' ') +
                       "\r" + std::string(first.size(), ' ') + "\r");
  EXPECT_THAT(p.out, HasSubstr("LAST STATUS"));
  EXPECT_THAT(p.out, HasSubstr("web:3"));
  EXPECT_THAT(p.out, Not(HasSubstr("\r")));
}

TEST(WaitAndPrint, NotATerminal_NoProgressAtAll) {
  ScriptedWait fake({{OneTask("PENDING"), true}, {OneTask("RUNNING"), true}});
  Printed p = Print(fake, absl::Minutes(10), /*terminal=*/false, OutputFormat::kText,
                    "tasks[0].lastStatus");
  EXPECT_EQ(p.exit_code, kExitOk);
  EXPECT_THAT(p.err, IsEmpty());
  EXPECT_EQ(p.out, "RUNNING\n");
}

TEST(WaitAndPrint, TerminalFailure_WipesTheLineBeforeTheErrorsAndNamesTheStartedTasks) {
  v1::DescribeTasksResponse stopped = OneTask("STOPPED");
  stopped.mutable_tasks(0)->set_stop_code("TaskFailedToStart");
  ScriptedWait fake({{OneTask("PENDING"), true}, {stopped, true}});
  Printed p = Print(fake, absl::Minutes(10), /*terminal=*/true);
  EXPECT_EQ(p.exit_code, kExitError);
  EXPECT_THAT(p.out, IsEmpty());
  const std::string line = "waiting for 1 task: 0 RUNNING, 1 PENDING (0s)";
  EXPECT_EQ(p.err, "\r" + line + "\r" + std::string(line.size(), ' ') + "\r" +
                       "error: task a stopped before RUNNING: TaskFailedToStart\n" + kAfterError);
}

TEST(WaitAndPrint, Timeout_NamesTheUnfinishedTasksThenTheStartedOnes) {
  ScriptedWait fake({{OneTask("PENDING"), true}});
  Printed p = Print(fake, absl::Seconds(2), /*terminal=*/false);
  EXPECT_EQ(p.exit_code, kExitError);
  EXPECT_THAT(p.out, IsEmpty());
  EXPECT_EQ(p.err,
            "error: timed out after 2s waiting for tasks to be RUNNING: 0 of 1 RUNNING "
            "(1 PENDING); not yet RUNNING: a\n" +
                std::string(kAfterError));
}

TEST(WaitAndPrint, TimeoutWhileRetrying_AddsTheLastDescribeError) {
  ScriptedWait fake(
      {{OneTask("PENDING"), true}, {absl::UnavailableError("connection refused"), true}});
  fake.connected_ = false;  // gantryd went away after answering
  Printed p = Print(fake, absl::Seconds(2), /*terminal=*/false);
  EXPECT_EQ(p.exit_code, kExitError);
  EXPECT_EQ(p.err,
            "error: timed out after 2s waiting for tasks to be RUNNING: 0 of 1 RUNNING "
            "(1 PENDING); not yet RUNNING: a\n"
            "error: could not reach gantryd at 127.0.0.1:1 (UNAVAILABLE: connection refused)\n"
            "Is gantryd running there? Set --endpoint or GANTRY_ENDPOINT.\n" +
                std::string(kAfterError));
}

TEST(WaitAndPrint, DescribeErrorNotRetried_PrintedAtOnceThenTheStartedTasks) {
  ScriptedWait fake({{absl::NotFoundError("cluster \"prod\" not found"), true}});
  Printed p = Print(fake, absl::Minutes(10), /*terminal=*/true);
  EXPECT_EQ(p.exit_code, kExitError);
  EXPECT_EQ(p.err, "error: NOT_FOUND: cluster \"prod\" not found\n" + std::string(kAfterError));
}

}  // namespace
}  // namespace gantry::cli::internal
