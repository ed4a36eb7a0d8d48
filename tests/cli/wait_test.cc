// Waiting for tasks: the decision on one DescribeTasks response, the poll schedule,
// the messages, --timeout, and the loop on a fake clock.
#include "cli/internal/wait.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::cli::internal {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

using State = WaitDecision::State;

constexpr char kArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:task/default/";

v1::Task Task(const std::string& id, const std::string& status) {
  v1::Task task;
  task.set_task_arn(kArnPrefix + id);
  task.set_last_status(status);
  return task;
}

// A task that failed to start: the simulated runtime's CannotPullContainerError.
v1::Task FailedToStart(const std::string& id) {
  v1::Task task = Task(id, "STOPPED");
  task.set_stop_code("TaskFailedToStart");
  task.set_stopped_reason("CannotPullContainerError: no such image nginx:9.99");
  v1::Container* app = task.add_containers();
  app->set_name("app");
  app->set_reason("CannotPullContainerError: no such image nginx:9.99");
  task.add_containers()->set_name("sidecar");  // nothing to say about it
  return task;
}

// A task that ran until its essential container exited with code 3.
v1::Task ExitedAfterRunning(const std::string& id) {
  v1::Task task = Task(id, "STOPPED");
  task.set_started_at(1718000000.5);
  task.set_stop_code("EssentialContainerExited");
  task.set_stopped_reason("Essential container in task exited");
  v1::Container* app = task.add_containers();
  app->set_name("app");
  app->set_exit_code(3);
  return task;
}

v1::DescribeTasksResponse Response(const std::vector<v1::Task>& tasks,
                                   const std::vector<std::string>& missing = {}) {
  v1::DescribeTasksResponse response;
  for (const v1::Task& task : tasks) {
    *response.add_tasks() = task;
  }
  for (const std::string& id : missing) {
    v1::Failure* failure = response.add_failures();
    failure->set_arn(kArnPrefix + id);
    failure->set_reason("MISSING");
  }
  return response;
}

TEST(DecideWait, EachResponse_DoneWaitingOrFailed) {
  struct Case {
    std::string name;
    v1::DescribeTasksResponse response;
    WaitKind kind;
    State want_state;
    int want_total;
    int want_at_target;
    std::vector<std::pair<std::string, int>> want_others;
    std::string want_message;
  };
  const Case cases[] = {
      {"all running",
       Response({Task("a", "RUNNING"), Task("b", "RUNNING")}),
       WaitKind::kTasksRunning,
       State::kDone,
       2,
       2,
       {},
       ""},
      {"some pending, in lifecycle order",
       Response({Task("a", "RUNNING"), Task("b", "PENDING"), Task("c", "PROVISIONING"),
                 Task("d", "PENDING")}),
       WaitKind::kTasksRunning,
       State::kWaiting,
       4,
       1,
       {{"PROVISIONING", 1}, {"PENDING", 2}},
       ""},
      {"unknown status after known ones",
       Response({Task("a", "ZZZ"), Task("b", "ACTIVATING"), Task("c", "AAA")}),
       WaitKind::kTasksRunning,
       State::kWaiting,
       3,
       0,
       {{"ACTIVATING", 1}, {"AAA", 1}, {"ZZZ", 1}},
       ""},
      {"stopping is still waiting for running",
       Response({Task("a", "RUNNING"), Task("b", "STOPPING")}),
       WaitKind::kTasksRunning,
       State::kWaiting,
       2,
       1,
       {{"STOPPING", 1}},
       ""},
      {"failed to start",
       Response({Task("a", "RUNNING"), FailedToStart("0c1d")}),
       WaitKind::kTasksRunning,
       State::kFailed,
       2,
       1,
       {{"STOPPED", 1}},
       "task 0c1d stopped before RUNNING: TaskFailedToStart: CannotPullContainerError: no such "
       "image nginx:9.99\n"
       "  container app: CannotPullContainerError: no such image nginx:9.99"},
      {"ran, then exited",
       Response({ExitedAfterRunning("9a8b")}),
       WaitKind::kTasksRunning,
       State::kFailed,
       1,
       0,
       {{"STOPPED", 1}},
       "task 9a8b stopped: EssentialContainerExited: Essential container in task exited\n"
       "  container app: exit code 3"},
      {"stopped without a code",
       Response({Task("e", "STOPPED")}),
       WaitKind::kTasksRunning,
       State::kFailed,
       1,
       0,
       {{"STOPPED", 1}},
       "task e stopped before RUNNING"},
      {"missing task",
       Response({Task("a", "PENDING")}, {"gone"}),
       WaitKind::kTasksRunning,
       State::kFailed,
       2,
       0,
       {{"PENDING", 1}},
       "task gone: MISSING"},
      {"every stopped task named",
       Response({FailedToStart("x"), Task("y", "STOPPED")}),
       WaitKind::kTasksRunning,
       State::kFailed,
       2,
       0,
       {{"STOPPED", 2}},
       "task x stopped before RUNNING: TaskFailedToStart: CannotPullContainerError: no such "
       "image nginx:9.99\n"
       "  container app: CannotPullContainerError: no such image nginx:9.99\n"
       "task y stopped before RUNNING"},
      {"stopped: all stopped",
       Response({FailedToStart("a"), Task("b", "STOPPED")}),
       WaitKind::kTasksStopped,
       State::kDone,
       2,
       2,
       {},
       ""},
      {"stopped: one still deprovisioning",
       Response({Task("a", "STOPPED"), Task("b", "DEPROVISIONING")}),
       WaitKind::kTasksStopped,
       State::kWaiting,
       2,
       1,
       {{"DEPROVISIONING", 1}},
       ""},
      {"stopped: missing task fails",
       Response({Task("a", "STOPPED")}, {"b"}),
       WaitKind::kTasksStopped,
       State::kFailed,
       2,
       1,
       {},
       "task b: MISSING"},
      {"nothing described",
       Response({}),
       WaitKind::kTasksStopped,
       State::kFailed,
       0,
       0,
       {},
       "DescribeTasks returned no tasks and no failures"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    WaitDecision decision = DecideWait(c.response, c.kind);
    EXPECT_EQ(decision.state, c.want_state);
    EXPECT_EQ(decision.kind, c.kind);
    EXPECT_EQ(decision.total, c.want_total);
    EXPECT_EQ(decision.at_target, c.want_at_target);
    EXPECT_EQ(decision.others, c.want_others);
    EXPECT_EQ(decision.message, c.want_message);
  }
}

TEST(DecideWait, MissingWithDetail_NamesTheDetail) {
  v1::DescribeTasksResponse response;
  v1::Failure* failure = response.add_failures();
  failure->set_arn("abc");
  failure->set_reason("MISSING");
  failure->set_detail("no such task in cluster default");
  EXPECT_EQ(DecideWait(response, WaitKind::kTasksRunning).message,
            "task abc: MISSING: no such task in cluster default");
}

TEST(FormatWait, ProgressTimeoutAndFailure) {
  WaitDecision waiting =
      DecideWait(Response({Task("a", "RUNNING"), Task("b", "PENDING"), Task("c", "PENDING")}),
                 WaitKind::kTasksRunning);
  EXPECT_EQ(FormatWaitProgress(waiting, absl::Milliseconds(4700)),
            "waiting for 3 tasks: 1 RUNNING, 2 PENDING (4s)");
  EXPECT_EQ(FormatWaitTimeout(waiting, absl::Minutes(10)),
            "timed out after 10m0s waiting for tasks to be RUNNING: 1 of 3 RUNNING (2 PENDING)");

  WaitDecision one = DecideWait(Response({Task("a", "PENDING")}), WaitKind::kTasksRunning);
  EXPECT_EQ(FormatWaitProgress(one, absl::Seconds(75)),
            "waiting for 1 task: 0 RUNNING, 1 PENDING (1m15s)");

  WaitDecision stopping =
      DecideWait(Response({Task("a", "STOPPED"), Task("b", "STOPPING"), Task("c", "RUNNING")}),
                 WaitKind::kTasksStopped);
  EXPECT_EQ(FormatWaitTimeout(stopping, absl::Seconds(30)),
            "timed out after 30s waiting for tasks to be STOPPED: 1 of 3 STOPPED "
            "(1 RUNNING, 1 STOPPING)");

  WaitDecision failed =
      DecideWait(Response({FailedToStart("0c1d"), Task("e", "STOPPED")}), WaitKind::kTasksRunning);
  EXPECT_EQ(FormatWaitFailure(failed),
            "error: task 0c1d stopped before RUNNING: TaskFailedToStart: "
            "CannotPullContainerError: no such image nginx:9.99\n"
            "  container app: CannotPullContainerError: no such image nginx:9.99\n"
            "error: task e stopped before RUNNING\n");
}

TEST(FormatWaitDuration, GoSpelling) {
  struct Case {
    absl::Duration duration;
    std::string want;
  };
  const Case cases[] = {
      {absl::ZeroDuration(), "0s"},
      {absl::Milliseconds(500), "500ms"},
      {absl::Seconds(4), "4s"},
      {absl::Milliseconds(1500), "1.5s"},
      {absl::Milliseconds(1250), "1.25s"},
      {absl::Seconds(90), "1m30s"},
      {absl::Minutes(10), "10m0s"},
      {absl::Hours(1), "1h0m0s"},
      {absl::Hours(25) + absl::Seconds(1), "25h0m1s"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want);
    EXPECT_EQ(FormatWaitDuration(c.duration), c.want);
  }
}

TEST(ParseWaitTimeout, DurationsOrSeconds_PositiveUpTo24h) {
  struct Case {
    std::string text;
    absl::Duration want;  // zero: an error is wanted
    std::string want_error;
  };
  const Case cases[] = {
      {"10m", absl::Minutes(10), ""},
      {"1h30m", absl::Minutes(90), ""},
      {"500ms", absl::Milliseconds(500), ""},
      {"1.5s", absl::Milliseconds(1500), ""},
      {"45", absl::Seconds(45), ""},
      {" 2m ", absl::Minutes(2), ""},
      {"24h", absl::Hours(24), ""},
      {"soon", absl::ZeroDuration(), "--timeout: \"soon\" is not a duration; use e.g. 30s"},
      {"", absl::ZeroDuration(), "--timeout: \"\" is not a duration"},
      {"10 minutes", absl::ZeroDuration(), "is not a duration"},
      {"0", absl::ZeroDuration(), "--timeout: \"0\" is not positive"},
      {"-5s", absl::ZeroDuration(), "--timeout: \"-5s\" is not positive"},
      {"25h", absl::ZeroDuration(), "--timeout: \"25h\" is too long; use at most 24h0m0s"},
      {"inf", absl::ZeroDuration(), "is too long"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<absl::Duration> got = ParseWaitTimeout(c.text);
    if (!c.want_error.empty()) {
      EXPECT_THAT(got, StatusIs(absl::StatusCode::kInvalidArgument, c.want_error));
      continue;
    }
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(*got, c.want);
  }
}

TEST(PollInterval, HalfASecondForTenSecondsThenTwo) {
  EXPECT_EQ(PollInterval(absl::ZeroDuration()), absl::Milliseconds(500));
  EXPECT_EQ(PollInterval(absl::Milliseconds(9999)), absl::Milliseconds(500));
  EXPECT_EQ(PollInterval(absl::Seconds(10)), absl::Seconds(2));
  EXPECT_EQ(PollInterval(absl::Minutes(5)), absl::Seconds(2));
}

TEST(FormatRunTaskFailures, NamesEveryFailureAndTheStartedTasks) {
  v1::RunTaskResponse response;
  v1::Failure* missing = response.add_failures();
  missing->set_arn("subnet-0a1b");
  missing->set_reason("MISSING");
  missing->set_detail("subnet-0a1b does not exist");
  response.add_failures()->set_reason("RESOURCE:MEMORY");
  EXPECT_EQ(FormatRunTaskFailures(response),
            "error: task not started: MISSING: subnet-0a1b does not exist (subnet-0a1b)\n"
            "error: task not started: RESOURCE:MEMORY\n");
  *response.add_tasks() = Task("0c1d", "PROVISIONING");
  *response.add_tasks() = Task("9a8b", "PROVISIONING");
  EXPECT_THAT(
      FormatRunTaskFailures(response),
      ::testing::EndsWith("error: not waiting for the 2 tasks that did start: 0c1d 9a8b\n"));
}

// A fake clock whose sleeps advance time, and a scripted DescribeTasks.
class FakeWait {
 public:
  explicit FakeWait(std::vector<v1::DescribeTasksResponse> script) : script_(std::move(script)) {}

  WaitClock Clock() {
    return {[this] { return now_; },
            [this](absl::Duration d) {
              sleeps_.push_back(d);
              now_ += d;
            }};
  }

  absl::StatusOr<v1::DescribeTasksResponse> Describe() {
    ++calls_;
    if (!error_.ok() && calls_ == error_at_call_) {
      return error_;
    }
    now_ += absl::Milliseconds(20);  // the RPC takes a little time
    const size_t i = std::min(static_cast<size_t>(calls_ - 1), script_.size() - 1);
    return script_[i];
  }

  void FailAt(int call, absl::Status error) {
    error_at_call_ = call;
    error_ = std::move(error);
  }

  absl::StatusOr<WaitOutcome> Run(WaitKind kind, absl::Duration timeout) {
    return WaitForTasks([this] { return Describe(); }, kind, timeout, Clock(),
                        [this](const WaitDecision& decision, absl::Duration elapsed) {
                          progress_.push_back(FormatWaitProgress(decision, elapsed));
                        });
  }

  int calls_ = 0;
  std::vector<absl::Duration> sleeps_;
  std::vector<std::string> progress_;

 private:
  std::vector<v1::DescribeTasksResponse> script_;
  absl::Time now_ = absl::FromUnixSeconds(1718000000);
  int error_at_call_ = 0;
  absl::Status error_;
};

TEST(WaitForTasks, RunningAfterThreePolls_ReturnsTheLastResponse) {
  FakeWait fake({Response({Task("a", "PROVISIONING"), Task("b", "PROVISIONING")}),
                 Response({Task("a", "RUNNING"), Task("b", "PENDING")}),
                 Response({Task("a", "RUNNING"), Task("b", "RUNNING")})});
  absl::StatusOr<WaitOutcome> outcome = fake.Run(WaitKind::kTasksRunning, absl::Minutes(10));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_EQ(outcome->decision.state, State::kDone);
  EXPECT_FALSE(outcome->timed_out);
  EXPECT_EQ(outcome->response.tasks(1).last_status(), "RUNNING");
  EXPECT_EQ(fake.calls_, 3);
  EXPECT_THAT(fake.sleeps_, ElementsAre(absl::Milliseconds(500), absl::Milliseconds(500)));
  EXPECT_THAT(fake.progress_, ElementsAre("waiting for 2 tasks: 0 RUNNING, 2 PROVISIONING (0s)",
                                          "waiting for 2 tasks: 1 RUNNING, 1 PENDING (0s)"));
}

TEST(WaitForTasks, SlowsDownAfterTenSeconds_AndTimesOutAtTheTimeout) {
  FakeWait fake({Response({Task("a", "RUNNING"), Task("b", "PENDING")})});
  absl::StatusOr<WaitOutcome> outcome = fake.Run(WaitKind::kTasksRunning, absl::Seconds(15));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->timed_out);
  EXPECT_EQ(outcome->decision.state, State::kWaiting);
  EXPECT_GE(outcome->elapsed, absl::Seconds(15));
  ASSERT_FALSE(fake.sleeps_.empty());
  EXPECT_EQ(fake.sleeps_.front(), absl::Milliseconds(500));
  int long_sleeps = 0;
  for (absl::Duration sleep : fake.sleeps_) {
    EXPECT_LE(sleep, absl::Seconds(2));
    long_sleeps += sleep == absl::Seconds(2) ? 1 : 0;
  }
  EXPECT_EQ(long_sleeps, 2);  // at 10.x s and 12.x s; the last one is cut to the timeout
  EXPECT_LT(fake.sleeps_.back(), absl::Seconds(2));
  EXPECT_EQ(FormatWaitTimeout(outcome->decision, absl::Seconds(15)),
            "timed out after 15s waiting for tasks to be RUNNING: 1 of 2 RUNNING (1 PENDING)");
}

TEST(WaitForTasks, StoppedTask_FailsAtOnceWithoutSleeping) {
  FakeWait fake({Response({Task("a", "RUNNING"), FailedToStart("b")})});
  absl::StatusOr<WaitOutcome> outcome = fake.Run(WaitKind::kTasksRunning, absl::Minutes(10));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_EQ(outcome->decision.state, State::kFailed);
  EXPECT_EQ(fake.calls_, 1);
  EXPECT_THAT(fake.sleeps_, IsEmpty());
  EXPECT_THAT(fake.progress_, IsEmpty());
}

TEST(WaitForTasks, DescribeError_ReturnedUnchanged) {
  FakeWait fake({Response({Task("a", "PENDING")})});
  fake.FailAt(2, absl::UnavailableError("gantryd went away"));
  EXPECT_THAT(fake.Run(WaitKind::kTasksStopped, absl::Minutes(1)),
              StatusIs(absl::StatusCode::kUnavailable, "gantryd went away"));
  EXPECT_EQ(fake.calls_, 2);
}

TEST(WaitForTasks, StoppedKind_DoneWhenAllStopped) {
  FakeWait fake({Response({Task("a", "STOPPING")}), Response({Task("a", "STOPPED")})});
  absl::StatusOr<WaitOutcome> outcome = fake.Run(WaitKind::kTasksStopped, absl::Minutes(1));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_EQ(outcome->decision.state, State::kDone);
  EXPECT_THAT(fake.progress_, ElementsAre("waiting for 1 task: 0 STOPPED, 1 STOPPING (0s)"));
  EXPECT_THAT(outcome->decision.others, IsEmpty());
  EXPECT_THAT(DecideWait(Response({Task("a", "STOPPING")}), WaitKind::kTasksStopped).others,
              ElementsAre(Pair("STOPPING", 1)));
}

}  // namespace
}  // namespace gantry::cli::internal
