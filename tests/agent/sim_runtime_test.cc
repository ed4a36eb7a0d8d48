// agent/sim_runtime: the simulated task lifecycle on a fake clock.
#include "agent/sim_runtime.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/agent/fake_loop.h"
#include "tests/agent/launch_builder.h"

namespace gantry::agent {
namespace {

using ::gantry::agent::testing::FakeLoop;
using ::gantry::agent::testing::LaunchBuilder;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr absl::Duration kLaunchDelay = absl::Milliseconds(200);
constexpr absl::Duration kStopDelay = absl::Milliseconds(100);

// A SimRuntime on a fake clock that records its reports.
class SimRuntimeTest : public ::testing::Test {
 protected:
  void Make(SimConfig config) {
    runtime_ = std::make_unique<SimRuntime>(
        config, &loop_, [this](v1::TaskStateReport report) { reports_.push_back(report); }, 42);
  }
  void Make() { Make(SimConfig{.launch_delay = kLaunchDelay, .stop_delay = kStopDelay}); }

  // The statuses reported so far, and forgets them.
  std::vector<std::string> TakeStatuses() {
    std::vector<std::string> statuses;
    for (const v1::TaskStateReport& report : reports_) statuses.push_back(report.status());
    last_ = reports_.empty() ? last_ : reports_.back();
    all_.insert(all_.end(), reports_.begin(), reports_.end());
    reports_.clear();
    return statuses;
  }
  const v1::TaskStateReport& Last() const { return last_; }
  int64_t NowMs() { return absl::ToUnixMillis(loop_.Now()); }

  FakeLoop loop_;
  std::unique_ptr<SimRuntime> runtime_;
  std::vector<v1::TaskStateReport> reports_;
  std::vector<v1::TaskStateReport> all_;
  v1::TaskStateReport last_;
};

TEST_F(SimRuntimeTest, Launch_PendingThenRunningAfterLaunchDelay) {
  Make();
  int64_t launched_ms = NowMs();
  runtime_->Launch(LaunchBuilder("task-1").Container("app").Container("log", {}, false).Build());
  EXPECT_THAT(TakeStatuses(), ElementsAre("PENDING"));
  EXPECT_EQ(Last().pull_started_at_unix_ms(), launched_ms);
  EXPECT_EQ(Last().pull_stopped_at_unix_ms(), 0);
  ASSERT_EQ(Last().containers_size(), 2);
  EXPECT_EQ(Last().containers(0).status(), "PENDING");

  loop_.Advance(kLaunchDelay - absl::Milliseconds(1));
  EXPECT_THAT(TakeStatuses(), IsEmpty());
  loop_.Advance(absl::Milliseconds(1));
  EXPECT_THAT(TakeStatuses(), ElementsAre("RUNNING"));
  const v1::TaskStateReport& running = Last();
  EXPECT_EQ(running.task_arn(), "task-1");
  EXPECT_EQ(running.at_unix_ms(), launched_ms + 200);
  EXPECT_EQ(running.pull_started_at_unix_ms(), launched_ms);
  EXPECT_EQ(running.pull_stopped_at_unix_ms(), launched_ms + 200);
  EXPECT_EQ(running.private_ipv4_address(), "10.0.1.7");
  ASSERT_EQ(running.containers_size(), 2);
  for (const v1::ContainerStateReport& container : running.containers()) {
    EXPECT_EQ(container.status(), "RUNNING");
    EXPECT_EQ(container.runtime_id().size(), 64u);
    EXPECT_FALSE(container.has_exit_code());
    EXPECT_THAT(container.image_digest(), ::testing::StartsWith("sha256:"));
  }
  EXPECT_NE(running.containers(0).runtime_id(), running.containers(1).runtime_id());
  EXPECT_EQ(loop_.pending(), 0u);
}

TEST_F(SimRuntimeTest, ZeroLaunchDelay_RunningAtOnceWithPullTimes) {
  Make(SimConfig{.launch_delay = absl::ZeroDuration(), .stop_delay = kStopDelay});
  runtime_->Launch(LaunchBuilder("task-1").Container("app").Build());
  EXPECT_THAT(TakeStatuses(), ElementsAre("RUNNING"));
  EXPECT_EQ(Last().pull_started_at_unix_ms(), NowMs());
  EXPECT_EQ(Last().pull_stopped_at_unix_ms(), NowMs());
}

TEST_F(SimRuntimeTest, LaunchFailures_StoppedWithReasonAndNoExitCodes) {
  struct Case {
    const char* name;
    double fail_rate;
    v1::LaunchTask launch;
    const char* want_reason;
  };
  const Case cases[] = {
      {"fail rate 1", 1.0, LaunchBuilder("t").Container("app").Build(),
       "CannotPullContainerError: simulated pull failure"},
      {"fail start hint", 0.0,
       LaunchBuilder("t")
           .Container("app")
           .Container("db", {{kSimFailStart, "ResourceInitializationError: x"}})
           .Build(),
       "ResourceInitializationError: x"},
      {"empty fail start hint uses the configured reason", 0.0,
       LaunchBuilder("t").Container("app", {{kSimFailStart, ""}}).Build(),
       "CannotPullContainerError: simulated pull failure"},
      {"override hint", 0.0,
       LaunchBuilder("t")
           .Container("app")
           .Override("app", {{kSimFailStart, "from override"}})
           .Build(),
       "from override"},
      {"malformed hint", 0.0,
       LaunchBuilder("t").Container("app", {{kSimExitAfter, "soon"}}).Build(),
       "CannotStartContainerError: containerDefinitions[0].environment: GANTRY_SIM_EXIT_AFTER"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    reports_.clear();
    Make(SimConfig{
        .launch_delay = kLaunchDelay, .stop_delay = kStopDelay, .fail_rate = c.fail_rate});
    runtime_->Launch(c.launch);
    loop_.Advance(kLaunchDelay);
    EXPECT_THAT(TakeStatuses(), ElementsAre("PENDING", "STOPPED"));
    EXPECT_THAT(Last().reason(), ::testing::StartsWith(c.want_reason));
    EXPECT_NE(Last().pull_stopped_at_unix_ms(), 0);
    for (const v1::ContainerStateReport& container : Last().containers()) {
      EXPECT_EQ(container.status(), "STOPPED");
      EXPECT_FALSE(container.has_exit_code());
      EXPECT_TRUE(container.runtime_id().empty());
    }
  }
}

TEST_F(SimRuntimeTest, LongFailReason_TruncatedOnCharacterBoundary) {
  Make(SimConfig{.launch_delay = absl::ZeroDuration()});
  // 1023 ASCII bytes then a 2-byte character that would straddle the 1024-byte limit.
  std::string reason = std::string(1023, 'x') + "\xc3\xa9" + "tail";
  runtime_->Launch(LaunchBuilder("t").Container("app", {{kSimFailStart, reason}}).Build());
  EXPECT_THAT(TakeStatuses(), ElementsAre("STOPPED"));
  EXPECT_EQ(Last().reason(), std::string(1023, 'x'));
  EXPECT_EQ(Last().containers(0).reason(), std::string(1023, 'x'));
}

TEST_F(SimRuntimeTest, FailRate_SeededDrawsFailSomeLaunches) {
  Make(SimConfig{.launch_delay = absl::ZeroDuration(), .fail_rate = 0.5});
  int stopped = 0;
  for (int i = 0; i < 200; ++i) {
    runtime_->Launch(LaunchBuilder("t" + std::to_string(i)).Container("app").Build());
  }
  for (const std::string& status : TakeStatuses()) stopped += status == "STOPPED";
  EXPECT_GT(stopped, 50);
  EXPECT_LT(stopped, 150);
}

TEST_F(SimRuntimeTest, EssentialContainerExits_TaskStopsWithItsExitCode) {
  Make();
  runtime_->Launch(LaunchBuilder("task-1")
                       .Container("app", {{kSimExitAfter, "2s"}, {kSimExitCode, "3"}})
                       .Container("sidecar", {}, false)
                       .Build());
  loop_.Advance(kLaunchDelay);
  EXPECT_THAT(TakeStatuses(), ElementsAre("PENDING", "RUNNING"));
  loop_.Advance(absl::Seconds(2));
  EXPECT_THAT(TakeStatuses(), ElementsAre("STOPPING"));
  EXPECT_EQ(Last().reason(), kEssentialExitReason);
  EXPECT_EQ(Last().containers(0).status(), "STOPPED");
  EXPECT_EQ(Last().containers(0).exit_code(), 3);
  EXPECT_EQ(Last().containers(1).status(), "RUNNING");
  loop_.Advance(kStopDelay);
  EXPECT_THAT(TakeStatuses(), ElementsAre("DEPROVISIONING", "STOPPED"));
  EXPECT_EQ(Last().reason(), kEssentialExitReason);
  EXPECT_EQ(Last().containers(0).exit_code(), 3);
  EXPECT_EQ(Last().containers(1).status(), "STOPPED");
  EXPECT_EQ(Last().containers(1).exit_code(), kSigtermExitCode);
}

TEST_F(SimRuntimeTest, EssentialByDefault_ExitStopsTask) {
  Make();
  runtime_->Launch(LaunchBuilder("task-1").Container("app", {{kSimExitAfter, "0s"}}).Build());
  loop_.Advance(kLaunchDelay);
  loop_.RunUntilIdle();
  EXPECT_THAT(TakeStatuses(), ElementsAre("PENDING", "RUNNING", "STOPPING"));
  EXPECT_EQ(Last().containers(0).exit_code(), 0);
}

TEST_F(SimRuntimeTest, NonEssentialContainerExits_TaskKeepsRunning) {
  Make();
  runtime_->Launch(LaunchBuilder("task-1")
                       .Container("app")
                       .Container("init", {{kSimExitAfter, "1s"}, {kSimExitCode, "0"}}, false)
                       .Build());
  loop_.Advance(kLaunchDelay);
  TakeStatuses();
  loop_.Advance(absl::Seconds(1));
  EXPECT_THAT(TakeStatuses(), ElementsAre("RUNNING"));
  EXPECT_EQ(Last().containers(0).status(), "RUNNING");
  EXPECT_EQ(Last().containers(1).status(), "STOPPED");
  EXPECT_EQ(Last().containers(1).exit_code(), 0);
  loop_.Advance(absl::Hours(1));
  EXPECT_THAT(TakeStatuses(), IsEmpty());
}

TEST_F(SimRuntimeTest, StopDuringRun_CancelsPendingExit) {
  Make();
  runtime_->Launch(LaunchBuilder("task-1").Container("app", {{kSimExitAfter, "1s"}}).Build());
  loop_.Advance(kLaunchDelay);
  TakeStatuses();
  runtime_->Stop("task-1", "Task stopped by user");
  loop_.Advance(absl::Seconds(5));
  EXPECT_THAT(TakeStatuses(), ElementsAre("STOPPING", "DEPROVISIONING", "STOPPED"));
  EXPECT_EQ(Last().reason(), "Task stopped by user");
  EXPECT_EQ(Last().containers(0).exit_code(), kSigtermExitCode);
}

TEST_F(SimRuntimeTest, Stop_StoppingThenAfterStopDelayDeprovisioningAndStopped) {
  Make();
  runtime_->Launch(LaunchBuilder("task-1").Container("app").Build());
  loop_.Advance(kLaunchDelay);
  TakeStatuses();
  runtime_->Stop("task-1", "bye");
  EXPECT_THAT(TakeStatuses(), ElementsAre("STOPPING"));
  runtime_->Stop("task-1", "again");  // no-op while stopping
  loop_.Advance(kStopDelay - absl::Milliseconds(1));
  EXPECT_THAT(TakeStatuses(), IsEmpty());
  loop_.Advance(absl::Milliseconds(1));
  EXPECT_THAT(TakeStatuses(), ElementsAre("DEPROVISIONING", "STOPPED"));
  EXPECT_EQ(Last().containers(0).status(), "STOPPED");
  EXPECT_EQ(Last().containers(0).exit_code(), kSigtermExitCode);
  runtime_->Stop("task-1", "once more");  // no-op when stopped
  loop_.Advance(absl::Seconds(1));
  EXPECT_THAT(TakeStatuses(), IsEmpty());
}

TEST_F(SimRuntimeTest, StopWhilePulling_NeverRunsAndContainersHaveNoExitCode) {
  Make();
  runtime_->Launch(LaunchBuilder("task-1").Container("app").Build());
  runtime_->Stop("task-1", "");
  loop_.Advance(absl::Seconds(1));
  EXPECT_THAT(TakeStatuses(), ElementsAre("PENDING", "STOPPING", "DEPROVISIONING", "STOPPED"));
  EXPECT_FALSE(Last().containers(0).has_exit_code());
}

TEST_F(SimRuntimeTest, StopUnknownTask_ReportsStoppedAtOnce) {
  Make();
  runtime_->Stop("ghost", "Task stopped by user");
  EXPECT_THAT(TakeStatuses(), ElementsAre("STOPPED"));
  EXPECT_EQ(Last().task_arn(), "ghost");
  EXPECT_EQ(Last().reason(), "Task stopped by user");
  EXPECT_THAT(runtime_->Snapshot(), IsEmpty());
}

TEST_F(SimRuntimeTest, LaunchTwice_SecondIsNoOp) {
  Make();
  v1::LaunchTask launch = LaunchBuilder("task-1").Container("app").Build();
  runtime_->Launch(launch);
  loop_.Advance(kLaunchDelay);
  runtime_->Launch(launch);
  loop_.Advance(absl::Seconds(1));
  EXPECT_THAT(TakeStatuses(), ElementsAre("PENDING", "RUNNING"));
}

TEST_F(SimRuntimeTest, LaunchDesiredStopped_NotStartedReportedStopped) {
  Make();
  runtime_->Launch(LaunchBuilder("task-1").Container("app").DesiredStatus("STOPPED").Build());
  loop_.Advance(absl::Seconds(1));
  EXPECT_THAT(TakeStatuses(), ElementsAre("STOPPED"));
  EXPECT_EQ(Last().containers(0).status(), "STOPPED");
  EXPECT_TRUE(Last().containers(0).runtime_id().empty());
}

TEST_F(SimRuntimeTest, RepeatedLaunchDesiredStopped_StopsHeldTask) {
  Make();
  runtime_->Launch(LaunchBuilder("task-1").Container("app").Build());
  loop_.Advance(kLaunchDelay);
  runtime_->Launch(LaunchBuilder("task-1").Container("app").DesiredStatus("STOPPED").Build());
  loop_.Advance(kStopDelay);
  EXPECT_THAT(TakeStatuses(),
              ElementsAre("PENDING", "RUNNING", "STOPPING", "DEPROVISIONING", "STOPPED"));
}

TEST_F(SimRuntimeTest, SnapshotAndForget_OnlyStoppedTasksAreForgotten) {
  Make();
  runtime_->Launch(LaunchBuilder("b").Container("app").Build());
  runtime_->Launch(LaunchBuilder("a").Container("app").Build());
  loop_.Advance(kLaunchDelay);
  runtime_->Stop("a", "");
  loop_.Advance(kStopDelay);
  std::vector<v1::TaskStateReport> snapshot = runtime_->Snapshot();
  ASSERT_EQ(snapshot.size(), 2u);
  EXPECT_EQ(snapshot[0].task_arn(), "a");
  EXPECT_EQ(snapshot[0].status(), "STOPPED");
  EXPECT_EQ(snapshot[1].task_arn(), "b");
  EXPECT_EQ(snapshot[1].status(), "RUNNING");
  runtime_->Forget("b");  // running: kept
  runtime_->Forget("a");
  runtime_->Forget("unknown");
  snapshot = runtime_->Snapshot();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0].task_arn(), "b");
}

TEST_F(SimRuntimeTest, HealthCheck_HealthyWhileRunning) {
  Make();
  v1::LaunchTask launch = LaunchBuilder("task-1").Container("app").Container("db").Build();
  launch.mutable_task_definition()->mutable_container_definitions(0)->mutable_health_check();
  runtime_->Launch(launch);
  EXPECT_EQ(reports_.back().containers(0).health_status(), "UNKNOWN");
  loop_.Advance(kLaunchDelay);
  EXPECT_EQ(reports_.back().containers(0).health_status(), "HEALTHY");
  EXPECT_EQ(reports_.back().containers(1).health_status(), "");
}

}  // namespace
}  // namespace gantry::agent
