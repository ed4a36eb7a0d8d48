// Table and property tests for the task lifecycle state machine of lifecycle/lifecycle.h.
#include "lifecycle/lifecycle.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "absl/time/time.h"

namespace gantry::lifecycle {

// Readable failure output; must live in the types' namespace for gtest to find it.
void PrintTo(TaskStatus status, std::ostream* os) { *os << ToString(status); }

void PrintTo(const TaskState& s, std::ostream* os) {
  const auto time = [](const std::optional<absl::Time>& t) {
    return t.has_value() ? absl::FormatTime("%H:%M:%S", *t, absl::UTCTimeZone()) : "-";
  };
  *os << "{" << ToString(s.last_status)
      << " desired=" << (s.desired_running ? "RUNNING" : "STOPPED") << " v" << s.version
      << " pull=" << time(s.times.pull_started_at) << ".." << time(s.times.pull_stopped_at)
      << " started=" << time(s.times.started_at) << " stopping=" << time(s.times.stopping_at)
      << " execStopped=" << time(s.times.execution_stopped_at)
      << " stopped=" << time(s.times.stopped_at) << " code=" << s.stop_code.value_or("-")
      << " reason=" << s.stopped_reason.value_or("-") << "}";
}

namespace {

using S = TaskStatus;

constexpr S kAllStatuses[] = {S::kProvisioning, S::kPending,  S::kActivating,     S::kRunning,
                              S::kDeactivating, S::kStopping, S::kDeprovisioning, S::kStopped};

// Seconds after a fixed start, so expected timestamps read as small numbers.
absl::Time T(int64_t seconds) { return absl::FromUnixSeconds(1718000000 + seconds); }

Report At(S status, int64_t seconds, std::optional<std::string> reason = std::nullopt) {
  Report report;
  report.status = status;
  report.at = T(seconds);
  report.reason = std::move(reason);
  return report;
}

Report WithPull(Report report, int64_t started, int64_t stopped) {
  report.pull_started_at = T(started);
  report.pull_stopped_at = T(stopped);
  return report;
}

// A task as RunTask creates it.
TaskState Fresh() { return TaskState{}; }

TaskState InState(S status, int64_t version) {
  TaskState state;
  state.last_status = status;
  state.version = version;
  state.desired_running = static_cast<int>(status) <= static_cast<int>(S::kRunning);
  return state;
}

// A task that was reported RUNNING at T(20) after pulling in T(10)..T(15), version 3.
TaskState Running() {
  TaskState state = InState(S::kRunning, 3);
  state.times.pull_started_at = T(10);
  state.times.pull_stopped_at = T(15);
  state.times.started_at = T(20);
  return state;
}

struct ApplyCase {
  std::string name;
  TaskState start;
  std::vector<Report> reports;
  TaskState want;
  std::vector<Outcome> want_outcomes;  // one per report
  int want_releases = 0;               // reports with releases_resources
};

std::vector<ApplyCase> ApplyCases() {
  std::vector<ApplyCase> cases;
  {
    ApplyCase c{"HappyPathEveryState", Fresh(), {}, {}, {}, 1};
    c.reports = {At(S::kPending, 5),    WithPull(At(S::kActivating, 16), 10, 15),
                 At(S::kRunning, 20),   At(S::kDeactivating, 100),
                 At(S::kStopping, 110), At(S::kDeprovisioning, 140),
                 At(S::kStopped, 150)};
    c.want = InState(S::kStopped, 8);
    c.want.times = {T(10), T(15), T(20), T(110), T(140), T(150)};
    c.want_outcomes.assign(7, Outcome::kApplied);
    cases.push_back(c);
  }
  {
    ApplyCase c{"PendingToRunningSkipsActivating", InState(S::kPending, 2), {}, {}, {}, 0};
    c.reports = {WithPull(At(S::kRunning, 20), 10, 15)};
    c.want = InState(S::kRunning, 3);
    c.want.times.pull_started_at = T(10);
    c.want.times.pull_stopped_at = T(15);
    c.want.times.started_at = T(20);
    c.want_outcomes = {Outcome::kApplied};
    cases.push_back(c);
  }
  {
    ApplyCase c{"RunningToStoppedStampsEveryPassedState", Running(), {}, {}, {}, 1};
    c.reports = {At(S::kStopped, 90)};
    c.want = Running();
    c.want.last_status = S::kStopped;
    c.want.desired_running = false;
    c.want.version = 4;
    c.want.times.stopping_at = c.want.times.execution_stopped_at = c.want.times.stopped_at = T(90);
    c.want_outcomes = {Outcome::kApplied};
    cases.push_back(c);
  }
  {
    // The agent may still be tearing the ENI down: nothing is released before STOPPED.
    ApplyCase c{"DeprovisioningHoldsResourcesUntilStopped", Running(), {}, {}, {}, 0};
    c.reports = {At(S::kDeprovisioning, 90)};
    c.want = Running();
    c.want.last_status = S::kDeprovisioning;
    c.want.desired_running = false;
    c.want.version = 4;
    c.want.times.stopping_at = c.want.times.execution_stopped_at = T(90);
    c.want_outcomes = {Outcome::kApplied};
    cases.push_back(c);
  }
  {
    ApplyCase c{"DeactivatingClearsDesiredRunningWithoutStoppingAt", Running(), {}, {}, {}, 0};
    c.reports = {At(S::kDeactivating, 90)};
    c.want = Running();
    c.want.last_status = S::kDeactivating;
    c.want.desired_running = false;
    c.want.version = 4;
    c.want_outcomes = {Outcome::kApplied};
    cases.push_back(c);
  }
  {
    ApplyCase c{"DuplicateLeavesStateAndVersion", Running(), {}, Running(), {}, 0};
    c.reports = {WithPull(At(S::kRunning, 99, "again"), 1, 2)};
    c.want_outcomes = {Outcome::kDuplicate};
    cases.push_back(c);
  }
  {
    ApplyCase c{"StaleLeavesStateAndVersion", Running(), {}, Running(), {}, 0};
    c.reports = {WithPull(At(S::kPending, 5), 1, 2), At(S::kProvisioning, 1),
                 At(S::kActivating, 16)};
    c.want_outcomes.assign(3, Outcome::kStale);
    cases.push_back(c);
  }
  {
    ApplyCase c{"StaleAndDuplicateAfterStopped", InState(S::kStopped, 9), {}, {}, {}, 0};
    c.start.times.stopped_at = T(150);
    c.want = c.start;
    c.reports = {At(S::kRunning, 20), At(S::kStopped, 200), At(S::kDeprovisioning, 140)};
    c.want_outcomes = {Outcome::kStale, Outcome::kDuplicate, Outcome::kStale};
    cases.push_back(c);
  }
  {
    ApplyCase c{"OutOfRangeStatusIsStale", Fresh(), {}, Fresh(), {}, 0};
    c.reports = {At(static_cast<S>(42), 5), At(static_cast<S>(-1), 5)};
    c.want_outcomes = {Outcome::kStale, Outcome::kStale};
    cases.push_back(c);
  }
  {
    ApplyCase c{"ProvisioningStraightToStoppedFailsToStart", Fresh(), {}, {}, {}, 1};
    c.reports = {At(S::kStopped, 30, "Timeout waiting for network interface provisioning")};
    c.want = InState(S::kStopped, 2);
    c.want.times.stopping_at = c.want.times.execution_stopped_at = c.want.times.stopped_at = T(30);
    c.want.stop_code = std::string(kTaskFailedToStart);
    c.want.stopped_reason = "Timeout waiting for network interface provisioning";
    c.want_outcomes = {Outcome::kApplied};
    cases.push_back(c);
  }
  {
    ApplyCase c{
        "PullFailureThroughDeprovisioningKeepsFirstReason", InState(S::kPending, 2), {}, {}, {}, 1};
    c.reports = {
        WithPull(At(S::kDeprovisioning, 40, "CannotPullContainerError: not found"), 10, 38),
        At(S::kStopped, 50, "some later text")};
    c.want = InState(S::kStopped, 4);
    c.want.times = {T(10), T(38), std::nullopt, T(40), T(40), T(50)};
    c.want.stop_code = std::string(kTaskFailedToStart);
    c.want.stopped_reason = "CannotPullContainerError: not found";
    c.want_outcomes.assign(2, Outcome::kApplied);
    cases.push_back(c);
  }
  {
    ApplyCase c{"JumpOverRunningIsNotStarted", InState(S::kPending, 2), {}, {}, {}, 1};
    c.reports = {At(S::kStopping, 40), At(S::kStopped, 50, "CannotStartContainerError: x")};
    c.want = InState(S::kStopped, 4);
    c.want.times.stopping_at = T(40);
    c.want.times.execution_stopped_at = c.want.times.stopped_at = T(50);
    c.want.stop_code = std::string(kTaskFailedToStart);
    c.want.stopped_reason = "CannotStartContainerError: x";
    c.want_outcomes.assign(2, Outcome::kApplied);
    cases.push_back(c);
  }
  {
    ApplyCase c{"FailureWithoutReasonLeavesReasonUnset", InState(S::kActivating, 3), {}, {}, {}, 1};
    c.reports = {At(S::kStopped, 50)};
    c.want = InState(S::kStopped, 4);
    c.want.times.stopping_at = c.want.times.execution_stopped_at = c.want.times.stopped_at = T(50);
    c.want.stop_code = std::string(kTaskFailedToStart);
    c.want_outcomes = {Outcome::kApplied};
    cases.push_back(c);
  }
  {
    // StopTask on a PENDING task: the user's code and reason win over TaskFailedToStart.
    TaskState start = InState(S::kPending, 3);
    start.desired_running = false;
    start.stop_code = std::string(kUserInitiated);
    start.stopped_reason = "operator said so";
    start.times.stopping_at = T(7);
    ApplyCase c{"StopRequestedBeforeRunningKeepsStopCode", start, {}, start, {}, 1};
    c.reports = {At(S::kStopped, 50, "CannotPullContainerError: cancelled")};
    c.want.last_status = S::kStopped;
    c.want.version = 4;
    c.want.times.execution_stopped_at = c.want.times.stopped_at = T(50);
    c.want_outcomes = {Outcome::kApplied};
    cases.push_back(c);
  }
  {
    ApplyCase c{"EarlierTimestampsAreNotOverwritten", Running(), {}, {}, {}, 0};
    c.start.times.stopping_at = T(80);  // stop requested at 80
    c.reports = {WithPull(At(S::kStopping, 90), 1, 2)};
    c.want = c.start;
    c.want.last_status = S::kStopping;
    c.want.desired_running = false;
    c.want.version = 4;
    c.want_outcomes = {Outcome::kApplied};
    cases.push_back(c);
  }
  {
    ApplyCase c{"PullTimesArriveLate", InState(S::kPending, 2), {}, {}, {}, 0};
    Report late = At(S::kRunning, 20);
    late.pull_stopped_at = T(15);
    c.reports = {At(S::kActivating, 16), late};
    c.want = InState(S::kRunning, 4);
    c.want.times.pull_stopped_at = T(15);
    c.want.times.started_at = T(20);
    c.want_outcomes.assign(2, Outcome::kApplied);
    cases.push_back(c);
  }
  {
    ApplyCase c{"MixedDuplicatesAndStaleCountOnlyApplied", Fresh(), {}, {}, {}, 1};
    c.reports = {At(S::kPending, 5),   At(S::kPending, 6),  At(S::kRunning, 20),
                 At(S::kPending, 7),   At(S::kRunning, 21), At(S::kDeprovisioning, 60),
                 At(S::kStopping, 55), At(S::kStopped, 70)};
    c.want = InState(S::kStopped, 5);
    c.want.times.started_at = T(20);
    c.want.times.stopping_at = c.want.times.execution_stopped_at = T(60);
    c.want.times.stopped_at = T(70);
    c.want_outcomes = {Outcome::kApplied, Outcome::kDuplicate, Outcome::kApplied,
                       Outcome::kStale,   Outcome::kDuplicate, Outcome::kApplied,
                       Outcome::kStale,   Outcome::kApplied};
    cases.push_back(c);
  }
  return cases;
}

TEST(ApplyReport, TableCases) {
  for (const ApplyCase& c : ApplyCases()) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(c.reports.size(), c.want_outcomes.size());
    TaskState state = c.start;
    int releases = 0;
    for (size_t i = 0; i < c.reports.size(); ++i) {
      SCOPED_TRACE(::testing::Message() << "report " << i);
      const Applied applied = ApplyReport(state, c.reports[i]);
      EXPECT_EQ(applied.outcome, c.want_outcomes[i]);
      if (applied.outcome == Outcome::kApplied) {
        EXPECT_EQ(applied.state.version, state.version + 1);
      } else {
        EXPECT_EQ(applied.state, state);
        EXPECT_FALSE(applied.releases_resources);
      }
      releases += applied.releases_resources ? 1 : 0;
      state = applied.state;
    }
    EXPECT_EQ(state, c.want);
    EXPECT_EQ(releases, c.want_releases);
  }
}

TEST(ApplyReport, EveryForwardPair_ReleasesExactlyWhenReachingStopped) {
  for (S from : kAllStatuses) {
    for (S to : kAllStatuses) {
      SCOPED_TRACE(::testing::Message() << ToString(from) << " -> " << ToString(to));
      const Applied applied = ApplyReport(InState(from, 5), At(to, 100));
      const int f = static_cast<int>(from);
      const int t = static_cast<int>(to);
      const Outcome want =
          t > f ? Outcome::kApplied : (t == f ? Outcome::kDuplicate : Outcome::kStale);
      EXPECT_EQ(applied.outcome, want);
      EXPECT_EQ(applied.releases_resources, t > f && to == S::kStopped);
      EXPECT_EQ(applied.state.last_status, t > f ? to : from);
      EXPECT_EQ(applied.state.version, t > f ? 6 : 5);
    }
  }
}

TEST(ApplyReport, RanThenStoppedWithoutStopCode_KeepsNone) {
  const Applied applied = ApplyReport(Running(), At(S::kStopped, 90, "Essential container exited"));
  EXPECT_EQ(applied.state.stop_code, std::nullopt);
  EXPECT_EQ(applied.state.stopped_reason, std::nullopt);
}

TEST(ApplyReport, RunningWithoutStartedAt_IsNotFailedToStart) {
  const Applied applied = ApplyReport(InState(S::kRunning, 3), At(S::kStopped, 90));
  EXPECT_EQ(applied.state.stop_code, std::nullopt);
  EXPECT_EQ(applied.state.times.started_at, std::nullopt);
}

// Property: any permutation of a valid (in-order) report sequence, with duplicates, ends in the
// same lastStatus as in-order application, never moves backwards, bumps version once per
// applied report, and releases resources exactly once if and only if it ends STOPPED. A failure
// prints its seed; GANTRY_TEST_SEED=<n> replays it.
std::vector<uint64_t> Seeds() {
  if (const char* env = std::getenv("GANTRY_TEST_SEED"); env != nullptr && *env != '\0') {
    return {std::strtoull(env, nullptr, 10)};
  }
  return {1, 2, 3, 17, 2024};
}

std::vector<Report> RandomValidSequence(std::mt19937_64& rng) {
  std::vector<Report> reports;
  std::bernoulli_distribution keep(0.5);
  std::bernoulli_distribution duplicate(0.2);
  int64_t seconds = 0;
  for (size_t i = 1; i < std::size(kAllStatuses); ++i) {
    if (!keep(rng)) {
      continue;
    }
    seconds += 1 + static_cast<int64_t>(rng() % 30);
    Report report = At(kAllStatuses[i], seconds, "reason at " + std::to_string(seconds));
    if (kAllStatuses[i] == S::kPending) {
      report = WithPull(report, seconds + 1, seconds + 2);
    }
    reports.push_back(report);
    if (duplicate(rng)) {
      reports.push_back(At(kAllStatuses[i], seconds + 1));
    }
  }
  if (reports.empty()) {
    reports.push_back(At(S::kStopped, 1));
  }
  return reports;
}

struct RunResult {
  TaskState state;
  int releases = 0;
};

RunResult ApplyAll(const std::vector<Report>& reports) {
  RunResult result{Fresh(), 0};
  for (const Report& report : reports) {
    const TaskState before = result.state;
    const Applied applied = ApplyReport(before, report);
    const int from = static_cast<int>(before.last_status);
    const int to = static_cast<int>(report.status);
    EXPECT_GE(static_cast<int>(applied.state.last_status), from) << "moved backwards";
    EXPECT_EQ(applied.outcome,
              to > from ? Outcome::kApplied : (to == from ? Outcome::kDuplicate : Outcome::kStale));
    EXPECT_EQ(applied.state.version,
              before.version + (applied.outcome == Outcome::kApplied ? 1 : 0));
    if (applied.outcome != Outcome::kApplied) {
      EXPECT_EQ(applied.state, before);
    }
    // Invariants of TaskState.
    const TaskState& s = applied.state;
    EXPECT_EQ(s.times.stopped_at.has_value(), s.last_status == S::kStopped);
    if (static_cast<int>(s.last_status) > static_cast<int>(S::kRunning)) {
      EXPECT_FALSE(s.desired_running);
    }
    if (static_cast<int>(s.last_status) >= static_cast<int>(S::kDeprovisioning)) {
      EXPECT_TRUE(s.times.execution_stopped_at.has_value());
      EXPECT_EQ(s.times.started_at.has_value(), !s.stop_code.has_value());
    }
    result.releases += applied.releases_resources ? 1 : 0;
    result.state = applied.state;
  }
  return result;
}

TEST(ApplyReportProperty, ShuffledReports_SameFinalStatusNeverBackwards) {
  for (uint64_t seed : Seeds()) {
    SCOPED_TRACE(::testing::Message()
                 << "seed " << seed << " (replay: GANTRY_TEST_SEED=" << seed << ")");
    std::mt19937_64 rng(seed);
    for (int round = 0; round < 200; ++round) {
      const std::vector<Report> in_order = RandomValidSequence(rng);
      std::vector<Report> shuffled = in_order;
      std::shuffle(shuffled.begin(), shuffled.end(), rng);

      const RunResult want = ApplyAll(in_order);
      const RunResult got = ApplyAll(shuffled);
      const bool released = want.state.last_status == S::kStopped;
      ASSERT_EQ(want.state.last_status, in_order.back().status);
      ASSERT_EQ(got.state.last_status, want.state.last_status) << "round " << round;
      ASSERT_EQ(want.releases, released ? 1 : 0) << "round " << round;
      ASSERT_EQ(got.releases, released ? 1 : 0) << "round " << round;
      ASSERT_LE(got.state.version, want.state.version) << "round " << round;
      if (::testing::Test::HasFailure()) {
        return;
      }
    }
  }
}

struct StopCase {
  std::string name;
  TaskState start;
  std::string_view code;
  std::string_view reason;
  TaskState want;
};

std::vector<StopCase> StopCases() {
  std::vector<StopCase> cases;
  {
    StopCase c{"RunningTaskStopsByUser", Running(), kUserInitiated, "deploy rollback", Running()};
    c.want.desired_running = false;
    c.want.stop_code = std::string(kUserInitiated);
    c.want.stopped_reason = "deploy rollback";
    c.want.times.stopping_at = T(500);
    c.want.version = 4;
    cases.push_back(c);
  }
  {
    StopCase c{"PendingTaskStopsByScheduler", InState(S::kPending, 2), kServiceSchedulerInitiated,
               "Scaling activity initiated by (deployment ecs-svc/1)", InState(S::kPending, 3)};
    c.want.desired_running = false;
    c.want.stop_code = std::string(kServiceSchedulerInitiated);
    c.want.stopped_reason = "Scaling activity initiated by (deployment ecs-svc/1)";
    c.want.times.stopping_at = T(500);
    cases.push_back(c);
  }
  {
    StopCase c{"EmptyReasonLeavesReasonUnset", Running(), kInfrastructureHealth, "", Running()};
    c.want.desired_running = false;
    c.want.stop_code = std::string(kInfrastructureHealth);
    c.want.times.stopping_at = T(500);
    c.want.version = 4;
    cases.push_back(c);
  }
  {
    TaskState start = Running();
    start.stopped_reason = "earlier reason";
    start.times.stopping_at = T(400);
    StopCase c{"KeepsEarlierReasonAndStoppingAt", start, kSpotInterruption, "spot", start};
    c.want.desired_running = false;
    c.want.stop_code = std::string(kSpotInterruption);
    c.want.version = 4;
    cases.push_back(c);
  }
  {
    TaskState stopped = InState(S::kStopped, 9);
    stopped.times.stopped_at = T(300);
    StopCase c{"StoppedTaskIsNoOp", stopped, kUserInitiated, "late", stopped};
    cases.push_back(c);
  }
  {
    TaskState deactivating = Running();
    deactivating.last_status = S::kDeactivating;
    deactivating.desired_running = false;
    StopCase c{"AlreadyDesiredStoppedIsNoOp", deactivating, kUserInitiated, "x", deactivating};
    cases.push_back(c);
  }
  return cases;
}

TEST(RequestStop, TableCases) {
  for (const StopCase& c : StopCases()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(RequestStop(c.start, c.code, c.reason, T(500)), c.want);
  }
}

TEST(RequestStop, SecondRequest_IsNoOpAndFirstCodeWins) {
  for (S status : {S::kProvisioning, S::kPending, S::kActivating, S::kRunning}) {
    SCOPED_TRACE(ToString(status));
    const TaskState once = RequestStop(InState(status, 4), kUserInitiated, "first", T(500));
    const TaskState twice = RequestStop(once, kTerminationNotice, "second", T(600));
    EXPECT_EQ(once.version, 5);
    EXPECT_EQ(twice, once);
    EXPECT_EQ(twice.stop_code, std::string(kUserInitiated));
  }
}

TEST(RequestStop, ThenAgentReports_StoppingAtFromRequestAndCodeKept) {
  TaskState state = RequestStop(Running(), kUserInitiated, "bye", T(500));
  for (S status : {S::kDeactivating, S::kStopping, S::kDeprovisioning, S::kStopped}) {
    state = ApplyReport(state, At(status, 510 + static_cast<int>(status))).state;
  }
  EXPECT_EQ(state.version, 8);
  EXPECT_EQ(state.times.stopping_at, T(500));
  EXPECT_EQ(state.times.execution_stopped_at, T(516));
  EXPECT_EQ(state.times.stopped_at, T(517));
  EXPECT_EQ(state.stop_code, std::string(kUserInitiated));
  EXPECT_EQ(state.stopped_reason, "bye");
}

TEST(ContainerStatusFor, Table) {
  struct Case {
    S task;
    ContainerStatus if_started;
    ContainerStatus if_not_started;
  };
  using C = ContainerStatus;
  const Case cases[] = {
      {S::kProvisioning, C::kPending, C::kPending},   {S::kPending, C::kPending, C::kPending},
      {S::kActivating, C::kPending, C::kPending},     {S::kRunning, C::kRunning, C::kPending},
      {S::kDeactivating, C::kRunning, C::kPending},   {S::kStopping, C::kRunning, C::kPending},
      {S::kDeprovisioning, C::kStopped, C::kStopped}, {S::kStopped, C::kStopped, C::kStopped},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(ToString(c.task));
    EXPECT_EQ(ContainerStatusFor(c.task, true), c.if_started);
    EXPECT_EQ(ContainerStatusFor(c.task, false), c.if_not_started);
  }
}

TEST(TaskStatusNames, RoundTripAndWireNames) {
  const std::string_view want[] = {"PROVISIONING", "PENDING",  "ACTIVATING",     "RUNNING",
                                   "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"};
  for (size_t i = 0; i < std::size(kAllStatuses); ++i) {
    EXPECT_EQ(ToString(kAllStatuses[i]), want[i]);
    EXPECT_EQ(ParseTaskStatus(want[i]), kAllStatuses[i]);
  }
  EXPECT_EQ(ToString(static_cast<S>(99)), "");
}

TEST(TaskStatusNames, UnknownStrings_ReturnNullopt) {
  for (std::string_view text : {"", "running", "Running", "RUNNING ", " RUNNING", "DELETED",
                                "UNKNOWN", "STOPPED\n", "PEND"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ParseTaskStatus(text), std::nullopt);
  }
}

TEST(ContainerStatusNames, RoundTripAndUnknownStrings) {
  using C = ContainerStatus;
  const std::pair<C, std::string_view> want[] = {
      {C::kPending, "PENDING"}, {C::kRunning, "RUNNING"}, {C::kStopped, "STOPPED"}};
  for (const auto& [status, name] : want) {
    EXPECT_EQ(ToString(status), name);
    EXPECT_EQ(ParseContainerStatus(name), status);
  }
  EXPECT_EQ(ToString(static_cast<C>(7)), "");
  for (std::string_view text : {"", "PROVISIONING", "STOPPING", "pending", "EXITED"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ParseContainerStatus(text), std::nullopt);
  }
}

TEST(TaskHealth, EssentialContainersOnly_UnhealthyThenUnknownThenHealthy) {
  struct Case {
    std::string name;
    std::vector<ContainerHealth> containers;
    std::string_view want;
  };
  const Case cases[] = {
      {"one healthy essential", {{"HEALTHY", true}}, "HEALTHY"},
      {"every essential healthy", {{"HEALTHY", true}, {"HEALTHY", true}}, "HEALTHY"},
      {"an essential unhealthy", {{"HEALTHY", true}, {"UNHEALTHY", true}}, "UNHEALTHY"},
      {"unhealthy wins over unknown", {{"UNKNOWN", true}, {"UNHEALTHY", true}}, "UNHEALTHY"},
      {"an essential not checked", {{"HEALTHY", true}, {"UNKNOWN", true}}, "UNKNOWN"},
      {"nothing reported yet", {{"", true}}, "UNKNOWN"},
      {"a sidecar's health does not count",
       {{"HEALTHY", true}, {"UNHEALTHY", false}, {"UNKNOWN", false}},
       "HEALTHY"},
      {"no essential container", {{"HEALTHY", false}}, "UNKNOWN"},
      {"no container", {}, "UNKNOWN"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(TaskHealth(c.containers), c.want) << c.name;
  }
}

TEST(StopCodes, MatchEcsEnum) {
  EXPECT_EQ(kTaskFailedToStart, "TaskFailedToStart");
  EXPECT_EQ(kEssentialContainerExited, "EssentialContainerExited");
  EXPECT_EQ(kUserInitiated, "UserInitiated");
  EXPECT_EQ(kServiceSchedulerInitiated, "ServiceSchedulerInitiated");
  EXPECT_EQ(kSpotInterruption, "SpotInterruption");
  EXPECT_EQ(kTerminationNotice, "TerminationNotice");
  EXPECT_EQ(kInfrastructureHealth, "InfrastructureHealth");
}

}  // namespace
}  // namespace gantry::lifecycle
