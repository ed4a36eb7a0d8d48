// Waiting for tasks: the decision on one DescribeTasks response, the poll schedule,
// the messages, --timeout, and the loop on a fake clock.
#include "cli/internal/wait.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
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
using ::testing::SizeIs;

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

TEST(DecideWait, UnfinishedTasks_NamedByIdInResponseOrder) {
  struct Case {
    std::string name;
    v1::DescribeTasksResponse response;
    WaitKind kind;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {"all running",
       Response({Task("a", "RUNNING"), Task("b", "RUNNING")}),
       WaitKind::kTasksRunning,
       {}},
      {"pending and stopped",
       Response({Task("c", "PENDING"), Task("a", "RUNNING"), Task("b", "STOPPED")}),
       WaitKind::kTasksRunning,
       {"c", "b"}},
      {"waiting for stopped",
       Response({Task("a", "STOPPED"), Task("b", "RUNNING")}),
       WaitKind::kTasksStopped,
       {"b"}},
      {"missing tasks are failures, not unfinished",
       Response({Task("a", "PENDING")}, {"gone"}),
       WaitKind::kTasksRunning,
       {"a"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(DecideWait(c.response, c.kind).unfinished, c.want);
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
            "timed out after 10m0s waiting for tasks to be RUNNING: 1 of 3 RUNNING (2 PENDING); "
            "not yet RUNNING: b c");

  WaitDecision one = DecideWait(Response({Task("a", "PENDING")}), WaitKind::kTasksRunning);
  EXPECT_EQ(FormatWaitProgress(one, absl::Seconds(75)),
            "waiting for 1 task: 0 RUNNING, 1 PENDING (1m15s)");

  WaitDecision stopping =
      DecideWait(Response({Task("a", "STOPPED"), Task("b", "STOPPING"), Task("c", "RUNNING")}),
                 WaitKind::kTasksStopped);
  EXPECT_EQ(FormatWaitTimeout(stopping, absl::Seconds(30)),
            "timed out after 30s waiting for tasks to be STOPPED: 1 of 3 STOPPED "
            "(1 RUNNING, 1 STOPPING); not yet STOPPED: b c");

  // No DescribeTasks ever answered: nothing to count.
  WaitDecision none;
  none.kind = WaitKind::kTasksStopped;
  EXPECT_EQ(FormatWaitTimeout(none, absl::Seconds(5)),
            "timed out after 5s waiting for tasks to be STOPPED");

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
      {"1.5", absl::Milliseconds(1500), ""},
      {"+2", absl::Seconds(2), ""},
      {".25", absl::Milliseconds(250), ""},
      {" 90 ", absl::Seconds(90), ""},
      {"5m", absl::Minutes(5), ""},  // not 5ms: only bare numbers get seconds
      {"1h3", absl::ZeroDuration(), "--timeout: \"1h3\" is not a duration"},
      {"1e3", absl::ZeroDuration(), "--timeout: \"1e3\" is not a duration"},
      {"0x10", absl::ZeroDuration(), "is not a duration"},
      {"1.2.3", absl::ZeroDuration(), "is not a duration"},
      {".", absl::ZeroDuration(), "is not a duration"},
      {"-1.5", absl::ZeroDuration(), "--timeout: \"-1.5\" is not positive"},
      {"90000", absl::ZeroDuration(), "--timeout: \"90000\" is too long"},
      {" 2m ", absl::Minutes(2), ""},
      {"24h", absl::Hours(24), ""},
      {"soon", absl::ZeroDuration(),
       "--timeout: \"soon\" is not a duration; use e.g. 30s, 10m, 1h30m or 90 (seconds)"},
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

TEST(FormatRunTaskFailures, EmptyParts_LeftOut) {
  struct Case {
    std::string name;
    std::string reason;
    std::string detail;
    std::string arn;
    std::string want;
  };
  const Case cases[] = {
      {"detail only", "", "no subnet has free addresses", "",
       "error: task not started: no subnet has free addresses\n"},
      {"arn only", "", "", "subnet-0a1b", "error: task not started (subnet-0a1b)\n"},
      {"nothing", "", "", "", "error: task not started\n"},
      {"reason and arn", "MISSING", "", "subnet-0a1b",
       "error: task not started: MISSING (subnet-0a1b)\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::RunTaskResponse response;
    v1::Failure* failure = response.add_failures();
    failure->set_reason(c.reason);
    failure->set_detail(c.detail);
    failure->set_arn(c.arn);
    EXPECT_EQ(FormatRunTaskFailures(response), c.want);
  }
}

TEST(FormatStartedTasks, NamesEveryStartedTaskById) {
  v1::RunTaskResponse response;
  EXPECT_EQ(FormatStartedTasks(response), "");
  *response.add_tasks() = Task("0c1d", "PROVISIONING");
  EXPECT_EQ(FormatStartedTasks(response), "error: run-task started 1 task: 0c1d\n");
  *response.add_tasks() = Task("9a8b", "PENDING");
  EXPECT_EQ(FormatStartedTasks(response), "error: run-task started 2 tasks: 0c1d 9a8b\n");
}

TEST(RetryDescribeError, TransientCodesOnceTheServerAnswered) {
  struct Case {
    absl::Status error;
    bool server_reached;
    bool want;
  };
  const Case cases[] = {
      {absl::UnavailableError("queue full"), true, true},
      {absl::DeadlineExceededError("deadline"), true, true},
      {absl::UnavailableError("connection refused"), false, false},
      {absl::DeadlineExceededError("deadline"), false, false},
      {absl::NotFoundError("cluster"), true, false},
      {absl::InvalidArgumentError("tasks"), true, false},
      {absl::InternalError("bug"), true, false},
      {absl::UnknownError("?"), true, false},
      {absl::ResourceExhaustedError("quota"), true, false},
      {absl::AbortedError("race"), true, false},
      {absl::PermissionDeniedError("no"), true, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.error.ToString(), " reached=", c.server_reached));
    EXPECT_EQ(RetryDescribeError(c.error, c.server_reached), c.want);
  }
}

TEST(DescribeDeadline, TimeLeftBetweenOneSecondAndTheRpcTimeout) {
  struct Case {
    std::string name;
    absl::Duration timeout;
    absl::Duration elapsed;
    absl::Duration want;
  };
  const Case cases[] = {
      {"short wait", absl::Seconds(5), absl::ZeroDuration(), absl::Seconds(5)},
      {"part used", absl::Seconds(5), absl::Milliseconds(1500), absl::Milliseconds(3500)},
      {"long wait", absl::Minutes(10), absl::ZeroDuration(), absl::Seconds(30)},
      {"at the timeout", absl::Seconds(5), absl::Seconds(5), absl::Seconds(1)},
      {"past the timeout", absl::Seconds(5), absl::Seconds(7), absl::Seconds(1)},
      {"almost no time left", absl::Seconds(5), absl::Milliseconds(4900), absl::Seconds(1)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(DescribeDeadline(c.timeout, c.elapsed), c.want);
  }
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

  DescribeAttempt Describe(absl::Duration deadline) {
    ++calls_;
    deadlines_.push_back(deadline);
    auto error = errors_.find(calls_);
    if (error != errors_.end()) {
      // A hanging gantryd holds the call until its deadline.
      now_ += error->second.code() == absl::StatusCode::kDeadlineExceeded ? deadline
                                                                          : absl::Milliseconds(5);
      return {error->second, server_reached_};
    }
    now_ += absl::Milliseconds(20);  // the RPC takes a little time
    const size_t i = std::min(static_cast<size_t>(responses_++), script_.size() - 1);
    return {script_[i], true};
  }

  // Call number `call` (from 1) fails with `error` instead of answering.
  void FailAt(int call, absl::Status error) { errors_[call] = std::move(error); }
  // Every call from `first` up to `last` fails with `error`.
  void FailFrom(int first, int last, const absl::Status& error) {
    for (int call = first; call <= last; ++call) {
      errors_[call] = error;
    }
  }
  // What the failed calls say about having reached gantryd.
  void SetServerReached(bool reached) { server_reached_ = reached; }

  absl::StatusOr<WaitOutcome> Run(WaitKind kind, absl::Duration timeout) {
    return WaitForTasks([this](absl::Duration deadline) { return Describe(deadline); }, kind,
                        timeout, Clock(),
                        [this](const WaitDecision& decision, absl::Duration elapsed) {
                          progress_.push_back(FormatWaitProgress(decision, elapsed));
                        });
  }

  absl::Duration Elapsed() const { return now_ - kStart; }

  int calls_ = 0;
  std::vector<absl::Duration> sleeps_;
  std::vector<absl::Duration> deadlines_;
  std::vector<std::string> progress_;

 private:
  static inline const absl::Time kStart = absl::FromUnixSeconds(1718000000);
  std::vector<v1::DescribeTasksResponse> script_;
  absl::Time now_ = kStart;
  int responses_ = 0;  // calls answered so far; the script advances only on answers
  std::map<int, absl::Status> errors_;
  bool server_reached_ = true;
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
            "timed out after 15s waiting for tasks to be RUNNING: 1 of 2 RUNNING (1 PENDING); "
            "not yet RUNNING: b");
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

TEST(WaitForTasks, DescribeErrorNotRetried_ReturnedUnchangedAtOnce) {
  struct Case {
    std::string name;
    absl::Status error;
    bool server_reached;
  };
  const Case cases[] = {
      {"not found", absl::NotFoundError("cluster \"prod\" not found"), true},
      {"internal", absl::InternalError("request id 7"), true},
      {"nothing listens at the endpoint", absl::UnavailableError("connection refused"), false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeWait fake({Response({Task("a", "PENDING")})});
    fake.SetServerReached(c.server_reached);
    fake.FailAt(2, c.error);
    EXPECT_THAT(fake.Run(WaitKind::kTasksStopped, absl::Minutes(1)),
                StatusIs(c.error.code(), std::string(c.error.message())));
    EXPECT_EQ(fake.calls_, 2);
    EXPECT_THAT(fake.sleeps_, ElementsAre(absl::Milliseconds(500)));
  }
}

TEST(WaitForTasks, TransientErrors_RetriedOnTheScheduleUntilAnAnswer) {
  FakeWait fake({Response({Task("a", "PENDING")}), Response({Task("a", "RUNNING")})});
  fake.FailAt(2, absl::UnavailableError("queue full"));
  fake.FailAt(3, absl::DeadlineExceededError("deadline exceeded"));
  absl::StatusOr<WaitOutcome> outcome = fake.Run(WaitKind::kTasksRunning, absl::Minutes(10));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_EQ(outcome->decision.state, State::kDone);
  EXPECT_THAT(outcome->last_error, IsOk());
  EXPECT_EQ(fake.calls_, 4);
  // The hanging third call took its whole deadline, kRpcTimeout, so polling slowed down.
  EXPECT_EQ(fake.deadlines_[2], absl::Seconds(30));
  EXPECT_THAT(fake.sleeps_,
              ElementsAre(absl::Milliseconds(500), absl::Milliseconds(500), absl::Seconds(2)));
  // Progress only from answers: the retries show nothing new.
  EXPECT_THAT(fake.progress_, ElementsAre("waiting for 1 task: 0 RUNNING, 1 PENDING (0s)"));
}

TEST(WaitForTasks, TransientErrorsUntilTheTimeout_TimesOutWithTheLastErrorAndDecision) {
  FakeWait fake({Response({Task("a", "RUNNING"), Task("b", "PENDING")})});
  fake.FailFrom(2, 1000, absl::UnavailableError("gantryd is restarting"));
  absl::StatusOr<WaitOutcome> outcome = fake.Run(WaitKind::kTasksRunning, absl::Seconds(5));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->timed_out);
  EXPECT_THAT(outcome->last_error,
              StatusIs(absl::StatusCode::kUnavailable, "gantryd is restarting"));
  EXPECT_EQ(outcome->decision.state, State::kWaiting);
  EXPECT_EQ(outcome->decision.at_target, 1);
  EXPECT_EQ(outcome->elapsed, fake.Elapsed());
  EXPECT_GE(outcome->elapsed, absl::Seconds(5));
  EXPECT_LT(outcome->elapsed, absl::Seconds(5) + absl::Milliseconds(10));
  EXPECT_EQ(FormatWaitTimeout(outcome->decision, absl::Seconds(5)),
            "timed out after 5s waiting for tasks to be RUNNING: 1 of 2 RUNNING (1 PENDING); "
            "not yet RUNNING: b");
}

TEST(WaitForTasks, AnswerAfterAnError_ClearsTheLastError) {
  FakeWait fake({Response({Task("a", "PENDING")})});
  fake.FailAt(2, absl::UnavailableError("queue full"));
  absl::StatusOr<WaitOutcome> outcome = fake.Run(WaitKind::kTasksRunning, absl::Seconds(2));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->timed_out);
  EXPECT_THAT(outcome->last_error, IsOk());
  EXPECT_GT(fake.calls_, 2);
}

TEST(WaitForTasks, HangingServer_EachCallGetsTheTimeLeft_WaitEndsAtTheTimeout) {
  FakeWait fake({Response({Task("a", "PENDING")})});
  fake.FailFrom(1, 1000, absl::DeadlineExceededError("Deadline Exceeded"));
  absl::StatusOr<WaitOutcome> outcome = fake.Run(WaitKind::kTasksRunning, absl::Seconds(5));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->timed_out);
  EXPECT_EQ(outcome->decision.total, 0);  // nothing ever answered
  EXPECT_EQ(outcome->decision.kind, WaitKind::kTasksRunning);
  EXPECT_THAT(outcome->last_error, StatusIs(absl::StatusCode::kDeadlineExceeded, "Deadline"));
  // One call that takes the whole --timeout, not kRpcTimeout (30 s).
  EXPECT_THAT(fake.deadlines_, ElementsAre(absl::Seconds(5)));
  EXPECT_EQ(fake.Elapsed(), absl::Seconds(5));
}

TEST(WaitForTasks, CallsNearTheTimeout_GetAtLeastTheMinimumDeadline) {
  FakeWait fake({Response({Task("a", "PENDING")})});
  fake.FailAt(5, absl::DeadlineExceededError("Deadline Exceeded"));  // the deciding call
  absl::StatusOr<WaitOutcome> outcome = fake.Run(WaitKind::kTasksRunning, absl::Seconds(2));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->timed_out);
  EXPECT_THAT(outcome->last_error, StatusIs(absl::StatusCode::kDeadlineExceeded, "Deadline"));
  // Calls at 0, 0.52, 1.04, 1.56 and 2 s (the last sleep cut to the timeout).
  EXPECT_THAT(fake.deadlines_,
              ElementsAre(absl::Seconds(2), absl::Milliseconds(1480), kMinDescribeDeadline,
                          kMinDescribeDeadline, kMinDescribeDeadline));
  EXPECT_EQ(fake.Elapsed(), absl::Seconds(2) + kMinDescribeDeadline);
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
